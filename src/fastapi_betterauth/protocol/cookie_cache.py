"""The ``session_data`` cookie cache, ``compact`` strategy (Better Auth's default).

Mirrors ``better-auth/dist/cookies/session-store.mjs`` and ``cookies/index.mjs`` (the cookie cache): the
cookie is ``base64url(JSON({"session": payload, "expiresAt": ms, "signature": sig}))`` where
``payload = {"session", "user", "updatedAt", "version"}`` and ``sig`` is the unpadded base64url
HMAC-SHA256 of ``JSON.stringify({...payload, expiresAt})``. The verifier re-serialises the parsed
JSON, so key order is preserved and the encoding matches JavaScript's ``JSON.stringify``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .._dates import parse_iso, to_iso

COOKIE_CHUNK_LIMIT = 4050


def _js_json(value: Any) -> str:
    """``JSON.stringify``: compact, non-ASCII kept, the same escapes for quotes and control characters."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_iso(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(payload_with_expiry: dict[str, Any], secret: str) -> str:
    mac = hmac.new(secret.encode(), _js_json(payload_with_expiry).encode(), hashlib.sha256).digest()
    return _b64url(mac)


def encode_session_data(
    session: Mapping[str, Any], user: Mapping[str, Any], *, secret: str, now_ms: int, max_age: int, version: str = "1"
) -> str:
    """The cookie value for a (session, user) pair, valid for ``max_age`` seconds."""
    payload: dict[str, Any] = {
        "session": json.loads(_js_json(session)),
        "user": json.loads(_js_json(user)),
        "updatedAt": now_ms,
        "version": version,
    }
    expires_at = now_ms + max_age * 1000
    signature = _sign({**payload, "expiresAt": expires_at}, secret)
    envelope = {"session": payload, "expiresAt": expires_at, "signature": signature}
    return _b64url(_js_json(envelope).encode())


def decode_session_data(
    value: str,
    *,
    secrets: Sequence[str],
    now_ms: int,
    version: str = "1",
    date_fields: frozenset[str] = frozenset({"expiresAt", "createdAt", "updatedAt"}),
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The cached (session, user) rows, or ``None`` when the cookie is invalid, tampered or expired.

    Date strings come back as aware datetimes, as the database would return them.
    """
    try:
        envelope = json.loads(_b64url_decode(value))
        payload = envelope["session"]
        expires_at = envelope["expiresAt"]
        signature = envelope["signature"]
        if not isinstance(payload, dict) or not isinstance(expires_at, int) or not isinstance(signature, str):
            return None
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
        return None
    signed = {**payload, "expiresAt": expires_at}
    if not any(hmac.compare_digest(_sign(signed, secret), signature) for secret in secrets):
        return None
    if expires_at <= now_ms or payload.get("version") != version:
        return None
    session, user = payload.get("session"), payload.get("user")
    if not isinstance(session, dict) or not isinstance(user, dict):
        return None
    try:
        session = _revive_dates(session, date_fields)
        user = _revive_dates(user, date_fields)
        if session["expiresAt"].timestamp() * 1000 <= now_ms:
            return None
    except (KeyError, ValueError, AttributeError, TypeError):
        return None
    return session, user


def _revive_dates(row: dict[str, Any], date_fields: frozenset[str]) -> dict[str, Any]:
    return {k: parse_iso(v) if k in date_fields and isinstance(v, str) else v for k, v in row.items()}
