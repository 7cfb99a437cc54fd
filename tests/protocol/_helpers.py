"""Helpers shared by the protocol and integration suites.

Cookie values are computed here independently of the library (HMAC-SHA256, standard base64, JS
``encodeURIComponent``), so the tests pin the wire format rather than the implementation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from fastapi_betterauth import BetterAuth, Where
from fastapi_betterauth._dates import now
from fastapi_betterauth.db.schema import FieldSpec, TableSpec
from fastapi_betterauth.protocol.plugin import Plugin
from tests.conftest import ORIGIN, SECRET

API = "/api/auth"
SESSION_COOKIE = "better-auth.session_token"
DATA_COOKIE = "better-auth.session_data"
DONT_REMEMBER_COOKIE = "better-auth.dont_remember"
EXPIRED = [
    f"{SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
    f"{DATA_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
    f"{DONT_REMEMBER_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
]
"""The three cookies Better Auth expires on sign-out and on a dead session, in its order (§1.3, §1.8)."""
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
TOKEN_RE = re.compile(r"^[A-Za-z0-9]{32}$")
SESSION_KEYS = {"id", "token", "userId", "expiresAt", "createdAt", "updatedAt", "ipAddress", "userAgent"}
USER_KEYS = {"id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt"}
PASSWORD = "password123"
EXTRA_FIELDS = Plugin(
    id="extra-fields",
    schema=(
        TableSpec(
            "user",
            (
                FieldSpec("role", "string", required=False, input=False),
                FieldSpec("banned", "boolean", required=False, input=False, default=False),
                FieldSpec("nickname", "string", required=False),
            ),
        ),
    ),
)
"""Admin-like user columns: ``role`` (not input, no default), ``banned`` (not input, default), ``nickname``."""


def js_encode_uri_component(value: str) -> str:
    """JavaScript ``encodeURIComponent``."""
    return quote(value, safe="!~*'()")


def hmac_b64(value: str, secret: str = SECRET) -> str:
    """Standard base64 (with padding) of HMAC-SHA256(secret, value): better-call's cookie signature."""
    return base64.b64encode(hmac.new(secret.encode(), value.encode(), hashlib.sha256).digest()).decode()


def signed(value: str, secret: str = SECRET) -> str:
    """A signed cookie value as Better Auth puts it in ``Set-Cookie`` (§3.3)."""
    return js_encode_uri_component(f"{value}.{hmac_b64(value, secret)}")


def session_cookie(token: str, *, name: str = SESSION_COOKIE, secret: str = SECRET) -> str:
    """A ``Cookie`` header carrying a validly signed session token."""
    return f"{name}={signed(token, secret)}"


def set_cookies(response: httpx.Response, name: str | None = None) -> list[str]:
    """The response's ``Set-Cookie`` headers (only those for ``name`` when given), in order."""
    values = response.headers.get_list("set-cookie")
    return values if name is None else [v for v in values if v.startswith(name + "=")]


def cookie_header(response: httpx.Response) -> str:
    """A ``Cookie`` header replaying every non-expired cookie the response set."""
    pairs = []
    for value in set_cookies(response):
        pair = value.split(";", 1)[0]
        if "Max-Age=0" not in value and pair.split("=", 1)[1]:
            pairs.append(pair)
    return "; ".join(pairs)


def with_cookie(cookie: str, **extra: str) -> dict[str, str]:
    """Headers of a browser request from the trusted origin carrying ``cookie``."""
    return {**ORIGIN, "cookie": cookie, **extra}


async def new_user(
    client: httpx.AsyncClient,
    email: str = "alice@example.com",
    password: str = PASSWORD,
    name: str = "Alice",
    **extra: Any,
) -> tuple[dict[str, Any], str]:
    """Sign up over HTTP; returns (body, cookie header). The client's cookie jar is left empty."""
    response = await client.post(
        f"{API}/sign-up/email", json={"email": email, "password": password, "name": name, **extra}
    )
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return response.json(), cookie_header(response)


async def sign_in(
    client: httpx.AsyncClient, email: str = "alice@example.com", password: str = PASSWORD, **extra: Any
) -> tuple[dict[str, Any], str]:
    """Sign in over HTTP (another device); returns (body, cookie header)."""
    response = await client.post(f"{API}/sign-in/email", json={"email": email, "password": password, **extra})
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return response.json(), cookie_header(response)


async def session_row(auth: BetterAuth, token: str) -> dict[str, Any] | None:
    """The ``session`` row with this token, read straight from the adapter."""
    return await auth.adapter.find_one("session", [Where("token", token)])


async def update_session_row(auth: BetterAuth, token: str, **values: Any) -> None:
    """Rewrite columns of a session row behind the server's back (to age or expire it)."""
    updated = await auth.adapter.update("session", [Where("token", token)], values)
    assert updated is not None


async def make_stale(auth: BetterAuth, token: str, *, days: float) -> datetime:
    """Pretend the session was created and last refreshed ``days`` ago; returns the new ``expiresAt``."""
    row = await session_row(auth, token)
    assert row is not None
    shift = timedelta(days=days)
    expires_at: datetime = row["expiresAt"] - shift
    await update_session_row(
        auth, token, createdAt=row["createdAt"] - shift, updatedAt=row["updatedAt"] - shift, expiresAt=expires_at
    )
    return expires_at


def close_to(value: datetime, expected: datetime, *, seconds: float = 30) -> bool:
    """Whether two instants are within ``seconds`` of each other."""
    return abs((value - expected).total_seconds()) <= seconds


def iso_to_datetime(value: str) -> datetime:
    """Parse a ``toISOString()`` value."""
    assert ISO_MS.match(value), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


__all__ = [
    "API",
    "DATA_COOKIE",
    "DONT_REMEMBER_COOKIE",
    "EXPIRED",
    "EXTRA_FIELDS",
    "ISO_MS",
    "PASSWORD",
    "SESSION_COOKIE",
    "SESSION_KEYS",
    "TOKEN_RE",
    "USER_KEYS",
    "close_to",
    "cookie_header",
    "hmac_b64",
    "iso_to_datetime",
    "js_encode_uri_component",
    "make_stale",
    "new_user",
    "now",
    "session_cookie",
    "session_row",
    "set_cookies",
    "sign_in",
    "signed",
    "update_session_row",
    "with_cookie",
]
