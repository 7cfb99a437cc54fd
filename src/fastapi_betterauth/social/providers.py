"""Google, GitHub and generic OpenID Connect providers, configured as Better Auth 1.7.24 configures them.

Each is one :class:`~.provider.OAuthProvider` value. The endpoint arguments exist for tests and for
proxies/regional hosts; leave them alone in production.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import ConfigurationError
from .provider import IdTokenPolicy, OAuthProvider, ProfileMapping, TokenAuth

GOOGLE_ISSUERS = ("https://accounts.google.com", "accounts.google.com")
GITHUB_USER_AGENT = "better-auth"
"""GitHub's API refuses requests without a User-Agent; Better Auth sends this one."""

ProfileMapper = Callable[[Mapping[str, Any]], Mapping[str, Any]]


def _require(provider_id: str, client_id: str, client_secret: str | None) -> None:
    if not client_id:
        raise ConfigurationError(f"social provider {provider_id!r}: client_id is required")
    if client_secret is not None and not client_secret:
        raise ConfigurationError(f"social provider {provider_id!r}: client_secret is empty")


def google(
    client_id: str,
    client_secret: str,
    *,
    scope: Sequence[str] = (),
    disable_default_scope: bool = False,
    prompt: str | None = None,
    access_type: str | None = None,
    display: str | None = None,
    hd: str | None = None,
    include_granted_scopes: bool = True,
    redirect_uri: str | None = None,
    map_profile: ProfileMapper | None = None,
    disable_implicit_sign_up: bool = False,
    disable_sign_up: bool = False,
    override_user_info_on_sign_in: bool = False,
    authorization_endpoint: str = "https://accounts.google.com/o/oauth2/v2/auth",
    token_endpoint: str = "https://oauth2.googleapis.com/token",
    jwks_uri: str = "https://www.googleapis.com/oauth2/v3/certs",
) -> OAuthProvider:
    """Sign in with Google (scopes ``email profile openid``; register ``<base_url>/callback/google``).

    The profile is the id token of the token response; unlike Better Auth, its signature is checked
    against Google's keys too. ``idToken`` sign-in (Google One Tap) verifies RS256 tokens issued
    within the hour for this client id. Pass ``access_type="offline"`` to receive refresh tokens.
    """
    _require("google", client_id, client_secret)
    return OAuthProvider(
        id="google",
        name="Google",
        client_id=client_id,
        client_secret=client_secret,
        authorization_endpoint=authorization_endpoint,
        token_endpoint=token_endpoint,
        scopes=() if disable_default_scope else ("email", "profile", "openid"),
        extra_scopes=tuple(scope),
        authorization_params={"include_granted_scopes": "true"} if include_granted_scopes else {},
        prompt=prompt,
        access_type=access_type,
        display=display,
        hd=hd,
        redirect_uri=redirect_uri,
        profile_source="id_token",
        mapping=ProfileMapping(subject="sub"),
        map_profile=map_profile,
        id_token=IdTokenPolicy(jwks_uri=jwks_uri, issuers=GOOGLE_ISSUERS, algorithms=("RS256",), max_age=3600),
        disable_implicit_sign_up=disable_implicit_sign_up,
        disable_sign_up=disable_sign_up,
        override_user_info_on_sign_in=override_user_info_on_sign_in,
    )


def github(
    client_id: str,
    client_secret: str,
    *,
    scope: Sequence[str] = (),
    disable_default_scope: bool = False,
    prompt: str | None = None,
    redirect_uri: str | None = None,
    map_profile: ProfileMapper | None = None,
    disable_implicit_sign_up: bool = False,
    disable_sign_up: bool = False,
    override_user_info_on_sign_in: bool = False,
    authorization_endpoint: str = "https://github.com/login/oauth/authorize",
    token_endpoint: str = "https://github.com/login/oauth/access_token",
    api_base: str = "https://api.github.com",
) -> OAuthProvider:
    """Sign in with GitHub (scopes ``read:user user:email``; register ``<base_url>/callback/github``).

    A private email is read from ``/user/emails`` (the primary one), and the email counts as verified
    only when GitHub lists it as verified. GitHub has no id tokens.
    """
    _require("github", client_id, client_secret)
    return OAuthProvider(
        id="github",
        name="GitHub",
        client_id=client_id,
        client_secret=client_secret,
        authorization_endpoint=authorization_endpoint,
        token_endpoint=token_endpoint,
        userinfo_endpoint=f"{api_base.rstrip('/')}/user",
        emails_endpoint=f"{api_base.rstrip('/')}/user/emails",
        userinfo_headers={"user-agent": GITHUB_USER_AGENT},
        scopes=() if disable_default_scope else ("read:user", "user:email"),
        extra_scopes=tuple(scope),
        prompt=prompt,
        redirect_uri=redirect_uri,
        profile_source="userinfo",
        mapping=ProfileMapping(subject="id", name=("name", "login"), image="avatar_url"),
        map_profile=map_profile,
        id_token_sign_in=False,
        disable_implicit_sign_up=disable_implicit_sign_up,
        disable_sign_up=disable_sign_up,
        override_user_info_on_sign_in=override_user_info_on_sign_in,
    )


def oidc(
    provider_id: str,
    *,
    client_id: str,
    client_secret: str | None = None,
    discovery_url: str | None = None,
    authorization_url: str | None = None,
    token_url: str | None = None,
    user_info_url: str | None = None,
    scopes: Sequence[str] = (),
    name: str | None = None,
    pkce: bool = True,
    prompt: str | None = None,
    access_type: str | None = None,
    response_mode: str | None = None,
    authorization_url_params: Mapping[str, str] | None = None,
    redirect_uri: str | None = None,
    token_endpoint_auth: TokenAuth | None = None,
    map_profile: ProfileMapper | None = None,
    disable_id_token_nonce_binding: bool = False,
    disable_implicit_sign_up: bool = False,
    disable_sign_up: bool = False,
    override_user_info: bool = False,
    require_email_verification: bool = False,
) -> OAuthProvider:
    """Any OpenID Connect (or plain OAuth 2.0) provider: Better Auth's ``genericOAuth`` config entry.

    With ``discovery_url``, endpoints, issuer and keys come from the provider's discovery document
    (read on first use); an OpenID Connect provider's id tokens are then verified (signature, ``iss``,
    ``aud`` = ``client_id``, ``exp``) and bound to the flow by a ``nonce``. Without it, give
    ``authorization_url``, ``token_url`` and ``user_info_url``. Sign-in goes through
    ``POST /sign-in/social`` with ``provider=<provider_id>`` and returns to ``/callback/<provider_id>``,
    as in Better Auth 1.7.24.
    """
    _require(provider_id, client_id, client_secret)
    if discovery_url is None and not (authorization_url and token_url):
        raise ConfigurationError(
            f"social provider {provider_id!r}: give discovery_url, or authorization_url and token_url"
        )
    auth: TokenAuth = token_endpoint_auth or ("client_secret_post" if client_secret else "none")
    return OAuthProvider(
        id=provider_id,
        name=name or provider_id,
        client_id=client_id,
        client_secret=client_secret,
        authorization_endpoint=authorization_url or "",
        token_endpoint=token_url or "",
        userinfo_endpoint=user_info_url,
        extra_scopes=tuple(scopes),
        request_scopes_first=True,
        authorization_params=dict(authorization_url_params or {}),
        prompt=prompt,
        access_type=access_type,
        response_mode=response_mode,
        pkce=pkce,
        redirect_uri=redirect_uri,
        token_auth=auth,
        profile_source="id_token_or_userinfo",
        mapping=ProfileMapping(subject="sub" if discovery_url else "id"),
        map_profile=map_profile,
        # Nonce binding needs verified id tokens, which only discovery sets up (as in Better Auth).
        requires_nonce=discovery_url is not None and not disable_id_token_nonce_binding,
        discovery_url=discovery_url,
        disable_implicit_sign_up=disable_implicit_sign_up,
        disable_sign_up=disable_sign_up,
        override_user_info_on_sign_in=override_user_info,
        require_email_verification=require_email_verification,
    )
