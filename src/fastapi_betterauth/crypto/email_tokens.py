"""Email verification and change-email links: stateless HS256 JWTs, byte-compatible with Better Auth.

Mirrors ``createEmailVerificationToken`` / ``signJWT`` (``better-auth/dist/crypto/jwt.mjs``): header
exactly ``{"alg":"HS256"}``, key = the UTF-8 secret, claims ``email`` (lower-cased), optional
``updateTo``, then the extra claims (``userId``, ``requestType``), then ``iat`` and ``exp``. A link
minted by a TypeScript server verifies here and the other way round.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import CryptoError
from .jwt import ExpiredJWTError, JWTError, decode_jwt, encode_jwt

_MAX_TOKEN_LENGTH = 8192
"""Longer strings are refused before any parsing: real links are a few hundred bytes."""


class EmailTokenError(CryptoError):
    """A verification link that cannot be used: malformed, tampered with, or signed with another secret."""


class EmailTokenExpiredError(EmailTokenError):
    """A correctly signed verification link whose ``exp`` has passed."""


def create_email_token(
    secret: str,
    email: str,
    *,
    update_to: str | None = None,
    expires_in: int = 3600,
    extra: Mapping[str, Any] | None = None,
    now: int | None = None,
) -> str:
    """Sign a verification token exactly as Better Auth does (same claim order, so the same bytes)."""
    issued = int(time.time()) if now is None else now
    claims: dict[str, Any] = {"email": email.lower()}
    if update_to is not None:
        claims["updateTo"] = update_to.lower()
    claims.update(extra or {})
    claims["iat"] = issued
    claims["exp"] = issued + expires_in
    return encode_jwt(claims, secret.encode(), "HS256")


def verify_email_token(token: str, secrets: Iterable[str], *, now: float | None = None) -> dict[str, Any]:
    """The claims of a valid, unexpired HS256 token signed with one of ``secrets``.

    Only ``HS256`` is accepted; ``email`` must be a string and ``updateTo``, ``requestType`` and
    ``userId`` strings when present (Better Auth's zod schema for the payload).

    Raises:
        EmailTokenExpiredError: correctly signed but expired.
        EmailTokenError: anything else wrong with it (the only other error this raises).
    """
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_LENGTH:
        raise EmailTokenError("malformed token")
    expired = False
    for secret in secrets:
        try:
            claims = decode_jwt(token, secret.encode(), ["HS256"], leeway=0 if now is None else time.time() - now)
        except ExpiredJWTError:
            expired = True
            continue
        except JWTError:
            continue
        return _checked(claims)
    if expired:
        raise EmailTokenExpiredError("token expired")
    raise EmailTokenError("invalid token")


def _checked(claims: Any) -> dict[str, Any]:
    if not isinstance(claims, dict) or not isinstance(claims.get("email"), str):
        raise EmailTokenError("invalid payload")
    for key in ("updateTo", "requestType", "userId"):
        if key in claims and not isinstance(claims[key], str):
            raise EmailTokenError("invalid payload")
    return claims
