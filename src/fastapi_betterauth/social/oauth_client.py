"""Talking to providers: token exchange, refresh, profiles, id tokens and discovery, through authlib.

authlib's ``AsyncOAuth2Client`` does the client authentication (``client_secret_post`` by default, as
Better Auth) and the form encoding; ``joserfc`` (authlib's JOSE library) verifies id tokens. Every call
is bounded by the provider timeout, refuses redirects (a token endpoint that redirects is broken or
hijacked), and fails as :class:`ProviderError`, never with a provider's raw exception.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .._dates import now
from ..protocol.validation import js_split_whitespace, js_trim
from .provider import IdTokenPolicy, OAuthProvider, OAuthTokens, UserInfo

if TYPE_CHECKING:
    from authlib.integrations.httpx_client import AsyncOAuth2Client  # type: ignore[import-untyped]
    from joserfc.jwk import KeySet

# authlib, joserfc and their HTTP client are imported on the first provider exchange, not with the library: an
# application without social sign-in does not carry them (several MiB of every worker's memory).

logger = logging.getLogger("fastapi_betterauth.social")

ID_TOKEN_LEEWAY = 30
"""Clock tolerance for id tokens, in seconds (Better Auth's ``ID_TOKEN_CLOCK_TOLERANCE_SECONDS``)."""
JWKS_TTL = 600.0
JWKS_REFETCH_INTERVAL = 30.0
"""An unknown ``kid`` refetches the key set, at most this often (a rotated key is picked up quickly,
a flood of forged kids cannot turn into a flood of requests)."""
DISCOVERY_RETRY_INTERVAL = 10.0
_UNSAFE_ALGORITHMS = frozenset({"none", "HS256", "HS384", "HS512"})


class ProviderError(Exception):
    """A provider did not answer as it should; ``unavailable`` when it did not answer at all."""

    def __init__(self, message: str, *, unavailable: bool = False) -> None:
        super().__init__(message)
        self.unavailable = unavailable


def parse_string_boolean(value: Any) -> bool | None:
    """Better Auth's ``parseStringBoolean``: ``true``/``"true"`` and ``false``/``"false"``, else ``None``."""
    if value is True or value == "true":
        return True
    if value is False or value == "false":
        return False
    return None


def _scopes(value: Any) -> tuple[str, ...]:
    """``parseScopeField``: a list, or a string split on whitespace (GitHub's commas stay)."""
    if isinstance(value, list):
        return tuple(js_trim(s) for s in value if isinstance(s, str) and js_trim(s))
    if isinstance(value, str):
        return tuple(js_split_whitespace(value))
    return ()


def _expires(seconds: Any) -> Any:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float | str):
        return None
    try:
        value = float(seconds)
    except ValueError:
        return None
    if not value or value != value or abs(value) > 10**10:
        return None
    return now() + timedelta(seconds=value)


def tokens_from(data: Mapping[str, Any]) -> OAuthTokens:
    """A token endpoint answer as Better Auth's ``getOAuth2Tokens`` reads it (strings only)."""

    def text(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) and value else None

    return OAuthTokens(
        access_token=text("access_token"),
        refresh_token=text("refresh_token"),
        id_token=text("id_token"),
        token_type=text("token_type"),
        access_token_expires_at=_expires(data.get("expires_in")),
        refresh_token_expires_at=_expires(data.get("refresh_token_expires_in")),
        scopes=_scopes(data.get("scope")),
        raw=dict(data),
    )


def _only_success(response: Any) -> Any:
    """Authlib compliance hook: anything but a 2xx (a redirect included) is a failed exchange."""
    if not 200 <= response.status_code < 300:
        raise ProviderError(f"token endpoint answered {response.status_code}", unavailable=response.status_code >= 500)
    return response


class ProviderClient:
    """The HTTP side of social sign-in for one ``BetterAuth`` instance (connection pools, key caches)."""

    def __init__(self, *, timeout: float) -> None:
        self.timeout = timeout
        self._clients: dict[str, AsyncOAuth2Client] = {}
        self._jwks: dict[str, tuple[float, KeySet]] = {}
        self._jwks_fetched: dict[str, float] = {}
        self._discovered: dict[str, OAuthProvider] = {}
        self._discovery_failed: dict[str, float] = {}

    def _client(self, provider: OAuthProvider) -> AsyncOAuth2Client:
        client = self._clients.get(provider.id)
        if client is None:
            from authlib.integrations.httpx_client import AsyncOAuth2Client

            client = AsyncOAuth2Client(
                client_id=provider.client_id,
                client_secret=provider.client_secret,
                token_endpoint_auth_method=provider.token_auth,
                timeout=self.timeout,
                follow_redirects=False,
            )
            client.register_compliance_hook("access_token_response", _only_success)
            client.register_compliance_hook("refresh_token_response", _only_success)
            self._clients[provider.id] = client
        return client

    async def _bounded(self, coro: Any, what: str) -> Any:
        """Run one provider exchange within the timeout; any failure becomes a :class:`ProviderError`."""
        from authlib.integrations.httpx_client import OAuthError

        try:
            async with asyncio.timeout(self.timeout):
                return await coro
        except ProviderError:
            raise
        except TimeoutError:
            raise ProviderError(f"{what}: no answer within {self.timeout:g}s", unavailable=True) from None
        except OAuthError as error:
            raise ProviderError(f"{what}: {error.error}") from None
        except Exception as error:  # transport errors, bad JSON, ...: never a 500
            unavailable = type(error).__module__.startswith(("httpx", "httpcore", "anyio", "ssl"))
            raise ProviderError(f"{what}: {type(error).__name__}", unavailable=unavailable) from None

    # -- discovery -----------------------------------------------------------------------------

    async def resolve(self, provider: OAuthProvider) -> OAuthProvider:
        """The provider with its discovery document applied (read once, retried after a failure).

        Raises:
            ProviderError: the document could not be read (the provider is unavailable for now).
        """
        if provider.discovery_url is None:
            return provider
        found = self._discovered.get(provider.id)
        if found is not None:
            return found
        failed = self._discovery_failed.get(provider.id)
        if failed is not None and time.monotonic() - failed < DISCOVERY_RETRY_INTERVAL:
            raise ProviderError("discovery failed recently", unavailable=True)
        try:
            document = await self._bounded(self._get_json(provider.discovery_url, {}), "discovery")
            resolved = apply_discovery(provider, document)
        except ProviderError:
            self._discovery_failed[provider.id] = time.monotonic()
            raise
        self._discovered[provider.id] = resolved
        return resolved

    # -- tokens --------------------------------------------------------------------------------

    async def exchange_code(
        self, provider: OAuthProvider, *, code: str, code_verifier: str | None, redirect_uri: str, device_id: str | None
    ) -> OAuthTokens:
        """The authorization-code grant (with the PKCE verifier).

        Raises:
            ProviderError: the provider refused the code, failed, or did not answer in time.
        """
        extra: dict[str, str] = {}
        if code_verifier and provider.pkce:
            extra["code_verifier"] = code_verifier
        if device_id:
            extra["device_id"] = device_id
        client = self._client(provider)
        data = await self._bounded(
            client.fetch_token(
                provider.token_endpoint,
                grant_type="authorization_code",
                code=code,
                redirect_uri=provider.redirect_uri or redirect_uri,
                headers={"accept": "application/json"},
                **extra,
            ),
            "token exchange",
        )
        tokens = tokens_from(data)
        if tokens.access_token is None and tokens.id_token is None:
            raise ProviderError("token exchange: no token in the answer")
        return tokens

    async def refresh(self, provider: OAuthProvider, refresh_token: str) -> OAuthTokens:
        """The refresh-token grant.

        Raises:
            ProviderError: refused, failed or timed out; or no access token came back.
        """
        client = self._client(provider)
        data = await self._bounded(
            client.refresh_token(
                provider.token_endpoint, refresh_token=refresh_token, headers={"accept": "application/json"}
            ),
            "refresh",
        )
        tokens = tokens_from(data)
        if tokens.access_token is None:
            raise ProviderError("refresh: no access token in the answer")
        return tokens

    # -- profiles ------------------------------------------------------------------------------

    async def _get_json(self, url: str, headers: Mapping[str, str]) -> Any:
        from authlib.integrations.httpx_client import AsyncOAuth2Client

        client = self._clients.get("") or AsyncOAuth2Client(timeout=self.timeout, follow_redirects=False)
        self._clients[""] = client
        response = await client.request("GET", url, headers=dict(headers), withhold_token=True)
        if not 200 <= response.status_code < 300:
            raise ProviderError(f"GET {url} answered {response.status_code}", unavailable=response.status_code >= 500)
        return response.json()

    async def user_info(
        self,
        provider: OAuthProvider,
        tokens: OAuthTokens,
        *,
        expected_nonce: str | None = None,
        stored: bool = False,
    ) -> UserInfo | None:
        """The provider's user for these tokens, or ``None`` when it cannot be established.

        ``stored``: the tokens come from our own database (``/account-info``), where an id token was
        verified on arrival; its claims are read as they are, even once it has expired.

        Raises:
            ProviderError: the provider failed or did not answer in time.
        """
        info: UserInfo | None = await self._bounded(
            self._user_info(provider, tokens, expected_nonce, stored), "user info"
        )
        return info

    async def _user_info(
        self, provider: OAuthProvider, tokens: OAuthTokens, nonce: str | None, stored: bool
    ) -> UserInfo | None:
        claims: dict[str, Any] | None = None
        if tokens.id_token and provider.id_token is not None and stored:
            claims = _unverified_claims(tokens.id_token)
        elif tokens.id_token and provider.id_token is not None:
            claims = await self._verified_claims(provider, tokens.id_token, nonce)
            if claims is None:
                logger.warning("provider %s: the id token failed verification", provider.id)
                return None
        source = provider.profile_source
        if source == "id_token":
            if claims is None:
                return None
            return map_profile(provider, claims)
        if source == "id_token_or_userinfo" and claims is not None and claims.get("sub") and claims.get("email"):
            # Better Auth's genericOAuth profile: the claims with ``id``, ``emailVerified`` and ``image`` added.
            verified = bool(parse_string_boolean(claims.get("email_verified")))
            added = _defined({"id": claims["sub"], "emailVerified": verified, "image": claims.get("picture")})
            return map_profile(provider, {**added, **claims})
        if not provider.userinfo_endpoint or not tokens.access_token:
            return None
        headers = {**provider.userinfo_headers, "authorization": f"Bearer {tokens.access_token}"}
        profile = await self._get_json(provider.userinfo_endpoint, headers)
        if not isinstance(profile, dict):
            return None
        if claims is not None and claims.get("sub") is not None and str(profile.get("sub")) != str(claims["sub"]):
            logger.warning("provider %s: userinfo subject differs from the id token's", provider.id)
            return None
        if provider.emails_endpoint:
            profile = await self._with_email(provider, profile, headers)
        if source == "id_token_or_userinfo":
            verified = bool(parse_string_boolean(profile.get("email_verified")))
            profile = {**profile, **_defined({"emailVerified": verified, "image": profile.get("picture")})}
        return map_profile(provider, profile)

    async def _with_email(
        self, provider: OAuthProvider, profile: dict[str, Any], headers: Mapping[str, str]
    ) -> dict[str, Any]:
        """GitHub: a private email is the primary entry of ``/user/emails``; ``verified`` comes from there."""
        assert provider.emails_endpoint is not None
        try:
            emails = await self._get_json(provider.emails_endpoint, headers)
        except ProviderError:
            emails = None
        entries = [e for e in emails if isinstance(e, dict)] if isinstance(emails, list) else []
        profile = dict(profile)
        if not profile.get("email") and entries:
            chosen = next((e for e in entries if e.get("primary")), entries[0])
            profile["email"] = chosen.get("email")
        match = next((e for e in entries if e.get("email") == profile.get("email")), None)
        profile["email_verified"] = bool(match.get("verified")) if match else False
        return profile

    # -- id tokens -----------------------------------------------------------------------------

    async def verify_id_token(self, provider: OAuthProvider, token: str, nonce: str | None) -> dict[str, Any] | None:
        """The claims of a valid id token of ``provider``, or ``None``.

        Checked: signature, ``iss``, ``aud``, ``exp``, ``iat``, and the nonce when one is expected.

        Raises:
            ProviderError: the provider's keys could not be fetched.
        """
        claims: dict[str, Any] | None = await self._bounded(self._verified_claims(provider, token, nonce), "id token")
        return claims

    async def _verified_claims(self, provider: OAuthProvider, token: str, nonce: str | None) -> dict[str, Any] | None:
        policy = provider.id_token
        if policy is None or token.count(".") != 2:
            return None
        from joserfc import jwt
        from joserfc.errors import JoseError

        algorithms = [a for a in policy.algorithms if a not in _UNSAFE_ALGORITHMS]
        keys = await self._keys(policy, refresh=False)
        try:
            decoded = jwt.decode(token, keys, algorithms=algorithms)
        except JoseError:
            keys = await self._keys(policy, refresh=True)  # maybe a rotated key
            try:
                decoded = jwt.decode(token, keys, algorithms=algorithms)
            except (JoseError, ValueError):
                return None
        except ValueError:
            return None
        claims = dict(decoded.claims)
        registry = jwt.JWTClaimsRegistry(
            leeway=ID_TOKEN_LEEWAY,
            iss={"essential": True, "values": list(policy.issuers)},
            aud={"essential": True, "value": provider.client_id},
            sub={"essential": True},
            exp={"essential": True},
        )
        try:
            # ``iat`` is required but, as jose's jwtVerify does, not compared with our clock: an IdP running a
            # minute ahead still signs users in (``exp`` bounds the token either way).
            registry.validate({k: v for k, v in claims.items() if k != "iat"})
        except JoseError:
            return None
        if not isinstance(claims.get("iat"), int | float):
            return None
        if policy.max_age is not None:
            issued = claims.get("iat")
            if not isinstance(issued, int | float) or time.time() - issued > policy.max_age + ID_TOKEN_LEEWAY:
                return None
        if nonce is not None:
            claimed = claims.get("nonce")
            if not isinstance(claimed, str) or not hmac.compare_digest(claimed.encode(), nonce.encode()):
                return None
        if provider.hd and not _hosted_domain_allowed(provider.hd, claims.get("hd")):
            return None
        return claims

    async def _keys(self, policy: IdTokenPolicy, *, refresh: bool) -> KeySet:
        from joserfc.errors import JoseError
        from joserfc.jwk import KeySet

        cached = self._jwks.get(policy.jwks_uri)
        moment = time.monotonic()
        fresh = cached is not None and moment - cached[0] < JWKS_TTL
        recently = moment - self._jwks_fetched.get(policy.jwks_uri, -JWKS_REFETCH_INTERVAL) < JWKS_REFETCH_INTERVAL
        if cached is not None and ((fresh and not refresh) or recently):
            return cached[1]
        self._jwks_fetched[policy.jwks_uri] = moment
        document = await self._get_json(policy.jwks_uri, {})
        raw_keys = document.get("keys") if isinstance(document, dict) else None
        usable: list[dict[str, Any]] = []
        for key in raw_keys if isinstance(raw_keys, list) else []:
            try:
                KeySet.import_key_set({"keys": [key]})
            except (JoseError, ValueError, TypeError, KeyError):
                continue
            usable.append(key)
        keys = KeySet.import_key_set({"keys": usable})
        self._jwks[policy.jwks_uri] = (moment, keys)
        return keys

    async def aclose(self) -> None:
        """Close the connection pools."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()


def _defined(values: dict[str, Any]) -> dict[str, Any]:
    """The entries that are set: JavaScript drops ``undefined`` members from JSON."""
    return {k: v for k, v in values.items() if v is not None}


def _unverified_claims(token: str) -> dict[str, Any] | None:
    """The payload of a JWT we verified earlier ourselves, or ``None`` when it does not decode."""
    try:
        payload = token.split(".")[1]
        decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    return decoded if isinstance(decoded, dict) else None


def _hosted_domain_allowed(configured: str, claimed: Any) -> bool:
    """Google's ``hd`` restriction: ``*`` accepts any Workspace domain, else an exact match."""
    if not isinstance(claimed, str) or not claimed:
        return False
    return configured == "*" or claimed == configured


def _first_text(profile: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = profile.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def account_subject(value: Any) -> str | None:
    """``String(subject)``, refused when empty, ``undefined``/``null`` or a non-finite number."""
    if value is None or isinstance(value, bool | dict | list):
        return None
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    if not text.strip() or text in ("undefined", "null"):
        return None
    return text


def map_profile(provider: OAuthProvider, profile: Mapping[str, Any]) -> UserInfo | None:
    """The user of a raw profile, by the provider's mapping and ``map_profile`` (``None``: no subject)."""
    mapping = provider.mapping
    subject = account_subject(profile.get(mapping.subject))
    if subject is None:
        return None
    email = profile.get(mapping.email)
    verified = parse_string_boolean(profile.get(mapping.email_verified)) if mapping.email_verified else None
    image = profile.get(mapping.image) if mapping.image else None
    fields: dict[str, Any] = {
        "email": email if isinstance(email, str) and email else None,
        "emailVerified": bool(verified),
        "name": _first_text(profile, mapping.name),
        "image": image if isinstance(image, str) and image else None,
    }
    extra: dict[str, Any] = {}
    if provider.map_profile is not None:
        for key, value in provider.map_profile(profile).items():
            if key in fields:
                fields[key] = value
            else:
                extra[key] = value
    return UserInfo(
        account_id=subject,
        email=fields["email"],
        email_verified=bool(parse_string_boolean(fields["emailVerified"])),
        name=fields["name"] or "",
        image=fields["image"],
        data=dict(profile),
        extra=extra,
    )


def apply_discovery(provider: OAuthProvider, document: Any) -> OAuthProvider:
    """Fill a provider's endpoints from an OpenID Connect discovery document (explicit settings win).

    An OpenID Connect provider (one that lists id-token signing algorithms) gets ``openid`` in its
    scopes, id-token verification against its ``jwks_uri`` and issuer, the RFC 9207 ``iss`` check and
    nonce binding, as Better Auth's generic-OAuth plugin sets them up.

    Raises:
        ProviderError: the document is not an object or names no usable endpoints.
    """
    if not isinstance(document, dict):
        raise ProviderError("discovery: not a JSON object")

    def url(key: str) -> str | None:
        value = document.get(key)
        return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None

    issuer = url("issuer")
    if document.get("issuer") is not None and issuer is None:
        raise ProviderError("discovery: the issuer is not a URL")
    algorithms = document.get("id_token_signing_alg_values_supported")
    safe_algorithms = tuple(a for a in (algorithms if isinstance(algorithms, list) else []) if isinstance(a, str))
    is_oidc = bool(safe_algorithms)
    jwks_uri = url("jwks_uri")
    id_token = provider.id_token
    if id_token is None and jwks_uri and issuer:
        allowed = tuple(a for a in safe_algorithms if a not in _UNSAFE_ALGORITHMS) or ("RS256",)
        id_token = IdTokenPolicy(jwks_uri=jwks_uri, issuers=(issuer,), algorithms=allowed)
    resolved = replace(
        provider,
        authorization_endpoint=provider.authorization_endpoint or url("authorization_endpoint") or "",
        token_endpoint=provider.token_endpoint or url("token_endpoint") or "",
        userinfo_endpoint=provider.userinfo_endpoint or url("userinfo_endpoint"),
        issuer=provider.issuer or issuer,
        id_token=id_token,
        prepend_openid=is_oidc,
        requires_nonce=provider.requires_nonce and id_token is not None,
        mapping=provider.mapping if is_oidc else replace(provider.mapping, subject="id"),
    )
    if not resolved.authorization_endpoint or not resolved.token_endpoint:
        raise ProviderError("discovery: no authorization or token endpoint")
    return resolved
