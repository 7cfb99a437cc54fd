"""Reading a request's credentials: the session cookie, a bearer session token, a bearer JWT.

The one module that parses ``Cookie`` and ``Authorization`` for credentials, in issuing mode (the
bearer plugin, ``BetterAuth.identify``) and resource-server mode (``SessionVerifier``,
``ResourceServer``) alike. Mirrors Better Auth's ``getSignedCookie`` and ``plugins/bearer``: a bearer
session token is the signed ``token.signature`` (URL-encoded or not) or, unless signatures are
required, the raw token; a valid one takes precedence over the cookie, as the bearer plugin's
rewritten cookie does in Better Auth.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

from ..crypto.signing import sign_value, unsign_cookie_value, unsign_value
from ..errors import CryptoError
from .cookies import parse_cookie_header

_BEARER = "bearer "


@dataclass(frozen=True, slots=True)
class SessionCredential:
    """A verified session token and how it came."""

    token: str
    """The raw session token (the ``session.token`` column)."""
    signed: str
    """``token.signature``: the form the session cookie carries (not URL-encoded)."""
    via: Literal["cookie", "bearer"]


def authorization_bearer(headers: Mapping[str, str]) -> str | None:
    """What follows ``Authorization: Bearer`` (case-insensitive scheme), or ``None``; never empty."""
    header = headers.get("authorization")
    if not header or header[:7].lower() != _BEARER:
        return None
    return header[7:].strip() or None


def is_jwt(value: str) -> bool:
    """Whether a bearer value has a JWT's shape (three dot-separated parts); it is not verified here."""
    return value.count(".") == 2


def bearer_jwt(headers: Mapping[str, str]) -> str | None:
    """The (unverified) JWT of ``Authorization: Bearer <header>.<payload>.<signature>``, or ``None``."""
    value = authorization_bearer(headers)
    return value if value is not None and is_jwt(value) else None


def unsign_cookie(raw: str | None, secrets: Sequence[str]) -> str | None:
    """The value of a signed cookie, or ``None`` when absent, unsigned or tampered with."""
    if not raw:
        return None
    try:
        return unsign_cookie_value(raw, secrets)
    except (CryptoError, UnicodeError, ValueError):
        return None


def bearer_session(
    headers: Mapping[str, str], *, secret: str, secrets: Sequence[str], require_signature: bool = False
) -> SessionCredential | None:
    """The session token in ``Authorization: Bearer``, verified; ``None`` for anything else (a JWT too)."""
    value = authorization_bearer(headers)
    if value is None or is_jwt(value):
        return None
    if "." in value:
        signed = unquote(value) if "%" in value else value
        try:
            token = unsign_value(signed, secrets)
        except (CryptoError, UnicodeError, ValueError):
            return None
        return SessionCredential(token=token, signed=signed, via="bearer")
    if require_signature:
        return None
    return SessionCredential(token=value, signed=sign_value(value, secret), via="bearer")


@dataclass(frozen=True)
class CredentialReader:
    """How one server reads session credentials: its secrets, and whether bearer tokens count.

    Args:
        secret: the current secret (signs raw bearer tokens into the cookie form).
        secrets: every secret a signature may have been made with, newest first.
        accept_bearer: also read ``Authorization: Bearer <session token>`` (the bearer plugin).
        require_signature: with ``accept_bearer``, refuse raw (unsigned) tokens.
    """

    secret: str
    secrets: tuple[str, ...]
    accept_bearer: bool = False
    require_signature: bool = False

    def session(self, headers: Mapping[str, str], *, cookie_name: str) -> SessionCredential | None:
        """The request's session credential: a valid bearer session token, else the ``cookie_name`` cookie."""
        if self.accept_bearer:
            found = bearer_session(
                headers, secret=self.secret, secrets=self.secrets, require_signature=self.require_signature
            )
            if found is not None:
                return found
        raw = parse_cookie_header(headers.get("cookie")).get(cookie_name)
        signed = unquote(raw) if raw and "%" in raw else raw
        token = unsign_cookie(raw, self.secrets)
        if token is None or signed is None:
            return None
        return SessionCredential(token=token, signed=signed, via="cookie")
