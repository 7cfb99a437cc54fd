"""Verifying JWTs issued by a Better Auth server (TypeScript or this one): the resource-server side.

Two modes: a remote JWKS (``jwks_url``, Better Auth's ``/api/auth/jwks``; keys cached, refetched on
an unknown ``kid`` at most every ``refetch_interval`` seconds, and the last good set kept while the
endpoint is down), or an HS256 shared secret (``secret``, for apps that mint their own tokens with
``BETTER_AUTH_SECRET``). Only algorithms in ``algorithms`` are accepted, an HMAC algorithm is never
accepted with a public key and the other way round, and ``exp``/``nbf``/``iss``/``aud`` are checked
with a small ``leeway``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from ..crypto.jwt import (
    ASYMMETRIC_ALGORITHMS,
    JWTError,
    algorithm_fits_key,
    decode_jwt,
    key_from_jwk,
    unverified_header,
)
from ..errors import ConfigurationError, CryptoError
from ..plugins.jwt.revocation import RevocationList
from ..settings import DEV_DEFAULT_SECRET
from ..storage.secondary import SecondaryStorage

logger = logging.getLogger("fastapi_betterauth.resource")

HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")


class JWTVerifier:
    """Verify Better Auth JWTs; ``await verifier.verify(token)`` returns the claims or raises ``JWTError``.

    Args:
        jwks_url: the issuer's key set, e.g. ``https://auth.example.com/api/auth/jwks``.
        jwks: a static key set (``{"keys": [...]}``) instead of a URL.
        secret: HS256 shared secret instead of keys.
        issuer: required ``iss`` (Better Auth's default is its base URL); ``None`` skips the check.
        audience: required ``aud`` (Better Auth's default is its base URL); ``None`` skips the check.
        algorithms: the allow-list (default: EdDSA and the other asymmetric algorithms Better Auth
            offers in key mode; HS256 in secret mode).
        leeway: clock skew tolerated on ``exp``/``nbf``, seconds.
        cache_seconds: how long a fetched key set is trusted before a background refresh.
        refetch_interval: minimum seconds between fetches triggered by unknown ``kid`` values.
        timeout: HTTP timeout for the key set.
        client: an ``httpx.AsyncClient`` to use (tests, proxies).
        revocations: the issuer's secondary storage (e.g. the ``RedisStorage`` it was given), to refuse
            JWTs whose session ended when the issuer runs ``jwt(revocation=True)``: one lookup per token.
    """

    def __init__(
        self,
        *,
        jwks_url: str | None = None,
        jwks: Mapping[str, Any] | None = None,
        secret: str | None = None,
        issuer: str | Iterable[str] | None = None,
        audience: str | Iterable[str] | None = None,
        algorithms: Iterable[str] | None = None,
        leeway: float = 5,
        cache_seconds: float = 300,
        refetch_interval: float = 30,
        timeout: float = 5,
        client: httpx.AsyncClient | None = None,
        revocations: SecondaryStorage | None = None,
    ) -> None:
        modes = sum(x is not None for x in (jwks_url, jwks, secret))
        if modes != 1:
            raise ConfigurationError("JWTVerifier needs exactly one of jwks_url=, jwks= or secret=")
        if secret is not None and secret == DEV_DEFAULT_SECRET:
            # Anyone can sign with a published secret: accepting its tokens would let anyone in.
            raise ConfigurationError("JWTVerifier(secret=...) refuses Better Auth's public development secret")
        self.secret = secret
        self.jwks_url = jwks_url
        default = ("HS256",) if secret is not None else ASYMMETRIC_ALGORITHMS
        self.algorithms = tuple(algorithms or default)
        if secret is not None and any(a not in HMAC_ALGORITHMS for a in self.algorithms):
            raise ConfigurationError("with secret=, only HS256/HS384/HS512 may be allowed")
        if secret is None and any(a in HMAC_ALGORITHMS or a == "none" for a in self.algorithms):
            raise ConfigurationError("with public keys, HMAC algorithms (and 'none') may not be allowed")
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.cache_seconds = cache_seconds
        self.refetch_interval = refetch_interval
        self.timeout = timeout
        self._client = client
        self._revocations = RevocationList(revocations, token_lifetime=0) if revocations is not None else None
        self._keys: dict[str, tuple[str | None, dict[str, Any]]] = {}
        self._imported: dict[tuple[str, str], Any] = {}
        self._fetched_at = float("-inf")
        self._attempted_at = float("-inf")
        self._kid_refetch_at = float("-inf")
        self._lock = asyncio.Lock()
        if jwks is not None:
            self._load(jwks)
            self._fetched_at = float("inf")

    def _load(self, document: Mapping[str, Any]) -> None:
        keys = document.get("keys")
        if not isinstance(keys, list):
            raise CryptoError("not a JWK set")
        loaded: dict[str, tuple[str | None, dict[str, Any]]] = {}
        for entry in keys:
            if isinstance(entry, dict) and isinstance(entry.get("kid"), str):
                alg = entry.get("alg") if isinstance(entry.get("alg"), str) else None
                loaded[entry["kid"]] = (
                    alg,
                    {k: v for k, v in entry.items() if k not in ("alg", "kid", "use", "key_ops")},
                )
        self._keys = loaded
        self._imported.clear()

    async def _fetch(self) -> None:
        assert self.jwks_url is not None
        self._attempted_at = time.monotonic()
        try:
            if self._client is not None:
                response = await self._client.get(self.jwks_url, timeout=self.timeout)
            else:
                async with httpx.AsyncClient(timeout=self.timeout) as client:
                    response = await client.get(self.jwks_url)
            response.raise_for_status()
            self._load(response.json())
            self._fetched_at = time.monotonic()
        except (httpx.HTTPError, ValueError, CryptoError) as error:
            # Keep the last good key set: a short outage of the issuer must not log everybody out.
            logger.warning("could not fetch the JWKS from %s: %s", self.jwks_url, type(error).__name__)

    async def _key_entry(self, kid: str) -> tuple[str | None, dict[str, Any]] | None:
        if self.jwks_url is not None and (
            kid not in self._keys or time.monotonic() - self._fetched_at > self.cache_seconds
        ):
            async with self._lock:  # decided under the lock: another request may have fetched meanwhile
                if self._needs_fetch(kid):
                    await self._fetch()
        return self._keys.get(kid)

    def _needs_fetch(self, kid: str) -> bool:
        """Whether to fetch now: a stale set, or an unknown ``kid``, each at most every ``refetch_interval``.

        Forged kids therefore cannot make us hammer the issuer, nor can an issuer outage.
        """
        now = time.monotonic()
        if now - self._fetched_at > self.cache_seconds and now - self._attempted_at >= self.refetch_interval:
            return True
        if kid not in self._keys and now - self._kid_refetch_at >= self.refetch_interval:
            self._kid_refetch_at = now
            return True
        return False

    async def verify(self, token: str) -> dict[str, Any]:
        """The claims of a valid token.

        Raises:
            JWTError: missing/malformed/expired/not-yet-valid token, wrong signature, algorithm,
                issuer or audience, unknown ``kid``, or an empty ``sub`` (``.reason`` says which).
        """
        header = unverified_header(token)
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise JWTError(f"algorithm {alg!r} is not allowed", reason="algorithm")
        if self.secret is not None:
            key: Any = self.secret.encode()
        else:
            kid = header.get("kid")
            if not isinstance(kid, str) or not kid:
                raise JWTError("token has no kid", reason="kid")
            entry = await self._key_entry(kid)
            if entry is None:
                raise JWTError("unknown kid", reason="kid")
            key_alg, jwk = entry
            if (key_alg is not None and key_alg != alg) or not algorithm_fits_key(alg, jwk):
                raise JWTError("algorithm does not match the key", reason="algorithm")
            key = self._imported.get((kid, alg))
            if key is None:
                try:
                    key = self._imported[(kid, alg)] = key_from_jwk(jwk, alg)
                except CryptoError:
                    raise JWTError("unusable key", reason="kid") from None
        claims = decode_jwt(
            token,
            key,
            [alg],
            issuer=self.issuer,
            audience=self.audience,
            leeway=self.leeway,
            require=("exp", "sub"),
        )
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise JWTError("token has no subject", reason="sub")
        if self._revocations is not None:
            await self._revocations.check(claims)
        return claims
