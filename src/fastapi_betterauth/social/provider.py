"""What a social provider is: data, not code.

A provider is its endpoints, default scopes, how its profile maps to a user, and how its id tokens
are checked. Google, GitHub and any OpenID Connect provider (``providers.py``) are declarations of
this one type, so adding Microsoft or Discord is a few lines. Mirrors the provider objects of
``@better-auth/core/social-providers`` and the generic-OAuth plugin of Better Auth 1.7.24.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

TokenAuth = Literal["client_secret_post", "client_secret_basic", "none"]
ProfileSource = Literal["id_token", "userinfo", "id_token_or_userinfo"]
"""Where the profile comes from: the id token's claims (Google), the userinfo endpoint (GitHub), or the
id token when it holds ``sub`` and ``email`` and the userinfo endpoint otherwise (generic OIDC)."""


@dataclass(frozen=True)
class ProfileMapping:
    """Which profile fields are the account subject and the user's fields (first non-empty wins)."""

    subject: str = "sub"
    email: str = "email"
    email_verified: str | None = "email_verified"
    name: tuple[str, ...] = ("name",)
    image: str | None = "picture"


@dataclass(frozen=True)
class IdTokenPolicy:
    """How id tokens of a provider are verified: signature from ``jwks_uri``, ``iss``, ``aud``, ``exp``."""

    jwks_uri: str
    issuers: tuple[str, ...]
    algorithms: tuple[str, ...] = ("RS256",)
    max_age: int | None = None
    """Refuse tokens issued longer ago than this many seconds (Google: one hour)."""


@dataclass(frozen=True)
class OAuthTokens:
    """A token endpoint's answer, as Better Auth's ``getOAuth2Tokens`` reads it."""

    access_token: str | None = None
    refresh_token: str | None = None
    id_token: str | None = None
    token_type: str | None = None
    access_token_expires_at: datetime | None = None
    refresh_token_expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UserInfo:
    """A provider's user, mapped to Better Auth's user fields."""

    account_id: str
    email: str | None
    email_verified: bool
    name: str
    image: str | None
    data: Mapping[str, Any]
    """The raw profile (``/account-info`` answers it as ``data``)."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Additional user fields from ``map_profile``."""


@dataclass(frozen=True)
class OAuthProvider:
    """One social provider, as data.

    Use :func:`~fastapi_betterauth.google`, :func:`~fastapi_betterauth.github` or
    :func:`~fastapi_betterauth.oidc` rather than building one by hand.
    """

    id: str
    name: str
    client_id: str
    client_secret: str | None
    authorization_endpoint: str = ""
    token_endpoint: str = ""
    userinfo_endpoint: str | None = None
    emails_endpoint: str | None = None
    """GitHub's ``/user/emails``: where a private email and its verified flag are looked up."""
    scopes: tuple[str, ...] = ()
    """Default scopes (before ``scope`` from the options and ``scopes`` of the request)."""
    extra_scopes: tuple[str, ...] = ()
    request_scopes_first: bool = False
    """Generic providers put the request's ``scopes`` before their own (Better Auth's order)."""
    prepend_openid: bool = False
    """An OpenID Connect provider from discovery: ``openid`` goes first if missing."""
    authorization_params: Mapping[str, str] = field(default_factory=dict)
    """Fixed extra authorization parameters (Google's ``include_granted_scopes=true``)."""
    prompt: str | None = None
    access_type: str | None = None
    display: str | None = None
    hd: str | None = None
    response_mode: str | None = None
    pkce: bool = True
    redirect_uri: str | None = None
    """Override of ``<baseURL>/callback/<id>`` (must match what is registered at the provider)."""
    token_auth: TokenAuth = "client_secret_post"
    profile_source: ProfileSource = "userinfo"
    mapping: ProfileMapping = field(default_factory=ProfileMapping)
    map_profile: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None
    """Better Auth's ``mapProfileToUser``: extra or overriding user fields from the raw profile."""
    userinfo_headers: Mapping[str, str] = field(default_factory=dict)
    id_token: IdTokenPolicy | None = None
    """Set: id tokens are verified, and ``sign-in/social`` / ``link-social`` accept ``idToken``."""
    id_token_sign_in: bool = True
    requires_nonce: bool = False
    """Bind id tokens to the redirect flow with an OIDC ``nonce`` (generic OIDC providers)."""
    issuer: str | None = None
    """Checked against the callback's ``iss`` parameter (RFC 9207) when both are present."""
    discovery_url: str | None = None
    """OpenID Connect discovery document, read on first use to fill in the endpoints above."""
    disable_implicit_sign_up: bool = False
    disable_sign_up: bool = False
    override_user_info_on_sign_in: bool = False
    require_email_verification: bool = False
    refresh: bool = True
    """Whether the provider's refresh grant is offered (``/refresh-token``)."""

    @property
    def supports_id_token(self) -> bool:
        """Whether ``idToken`` sign-in and linking are offered."""
        return self.id_token is not None and self.id_token_sign_in

    def callback_path(self) -> str:
        """``/callback/<id>``, relative to the base path."""
        return f"/callback/{self.id}"
