"""The authorization URL (``@better-auth/core/oauth2/create-authorization-url``), parameter for parameter.

Parameters are set in Better Auth's order with WHATWG ``URLSearchParams`` semantics (the same bytes
Node's ``URL`` produces), PKCE S256 always, and request ``additionalParams`` never able to replace
the protocol's own parameters.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence

from ada_url import URL, URLSearchParams

from .provider import OAuthProvider

RESERVED_PARAMS = frozenset(
    {"state", "client_id", "redirect_uri", "response_type", "code_challenge", "code_challenge_method", "nonce", "scope"}
)
"""Authorization parameters a request's ``additionalParams`` may not set."""


def code_challenge(verifier: str) -> str:
    """PKCE S256: base64url(SHA-256(verifier)) without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def requested_scopes(provider: OAuthProvider, scopes: Sequence[str]) -> list[str]:
    """Defaults, configured, then requested scopes (generic providers: requested first; ``openid`` first)."""
    if provider.request_scopes_first:
        merged = [*scopes, *provider.extra_scopes]
    else:
        merged = [*provider.scopes, *provider.extra_scopes, *scopes]
    if provider.prepend_openid and "openid" not in merged:
        merged.insert(0, "openid")
    return merged


def authorization_url(
    provider: OAuthProvider,
    *,
    state: str,
    code_verifier: str,
    redirect_uri: str,
    scopes: Sequence[str] = (),
    login_hint: str | None = None,
    nonce: str | None = None,
    additional_params: Mapping[str, str] | None = None,
) -> str:
    """Where the browser goes to sign in at ``provider``."""
    url = URL(provider.authorization_endpoint)
    params = URLSearchParams(str(url.search)[1:])
    params.set("response_type", "code")
    params.set("client_id", provider.client_id)
    params.set("state", state)
    merged_scopes = requested_scopes(provider, scopes)
    if merged_scopes:
        params.set("scope", " ".join(merged_scopes))
    params.set("redirect_uri", provider.redirect_uri or redirect_uri)
    for key, value in (
        ("display", provider.display),
        ("login_hint", login_hint),
        ("nonce", nonce),
        ("prompt", provider.prompt),
        ("hd", provider.hd),
        ("access_type", provider.access_type),
        ("response_mode", provider.response_mode),
    ):
        if value:
            params.set(key, value)
    if provider.pkce:
        params.set("code_challenge_method", "S256")
        params.set("code_challenge", code_challenge(code_verifier))
    for key, value in {**provider.authorization_params, **(additional_params or {})}.items():
        if key not in RESERVED_PARAMS:
            params.set(key, value)
    url.search = str(params)
    return str(url.href)
