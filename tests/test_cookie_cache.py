"""The ``session_data`` cookie cache (compact strategy, protocol §3.5)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastapi_betterauth import Where
from fastapi_betterauth.protocol.cookie_cache import decode_session_data, encode_session_data
from tests.conftest import ORIGIN, SECRET, sign_up

NOW = 1_795_338_000_000
SESSION = {
    "id": "s1",
    "token": "tok",
    "userId": "u1",
    "expiresAt": datetime(2027, 1, 1, tzinfo=UTC),
    "createdAt": datetime(2026, 11, 22, tzinfo=UTC),
    "updatedAt": datetime(2026, 11, 22, tzinfo=UTC),
}
USER = {"id": "u1", "name": 'Zoë "Z" ✓', "email": "z@example.com", "emailVerified": False, "image": None}


def _decode(value: str, **kw: Any) -> Any:
    return decode_session_data(value, secrets=[SECRET], **{"now_ms": NOW, **kw})


def test_roundtrip_and_envelope_shape() -> None:
    value = encode_session_data(SESSION, USER, secret=SECRET, now_ms=NOW, max_age=300)
    envelope = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    assert list(envelope) == ["session", "expiresAt", "signature"]
    assert list(envelope["session"]) == ["session", "user", "updatedAt", "version"]
    assert envelope["expiresAt"] == NOW + 300_000
    assert envelope["session"]["session"]["expiresAt"] == "2027-01-01T00:00:00.000Z"
    assert "=" not in value and "+" not in value and "/" not in value
    session, user = _decode(value)
    assert session == SESSION and user == USER


def test_expired_wrong_version_and_other_secret_are_rejected() -> None:
    value = encode_session_data(SESSION, USER, secret=SECRET, now_ms=NOW, max_age=300)
    assert _decode(value, now_ms=NOW + 300_000) is None
    assert _decode(value, version="2") is None
    assert decode_session_data(value, secrets=["another-secret"], now_ms=NOW) is None


def test_tampering_is_rejected() -> None:
    value = encode_session_data(SESSION, USER, secret=SECRET, now_ms=NOW, max_age=300)
    envelope = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    envelope["session"]["user"]["email"] = "attacker@example.com"
    forged = base64.urlsafe_b64encode(json.dumps(envelope, separators=(",", ":")).encode()).decode().rstrip("=")
    assert _decode(forged) is None


@given(st.text(max_size=200))
def test_garbage_never_raises(garbage: str) -> None:
    assert _decode(garbage) is None


async def test_get_session_is_answered_from_the_cache(make_client: Callable[..., Any]) -> None:
    client, auth = await make_client(session={"cookie_cache": {"enabled": True, "max_age": 300}})
    response = await sign_up(client)
    cache_cookies = [c for c in response.headers.get_list("set-cookie") if c.startswith("better-auth.session_data=")]
    assert len(cache_cookies) == 1 and "Max-Age=300" in cache_cookies[0]

    # With the row gone, a valid cache cookie still answers (Better Auth's documented trade-off) ...
    await auth.adapter.delete("session", [Where("token", response.json()["token"])])
    cached = await client.get("/api/auth/get-session")
    assert cached.json()["user"]["email"] == "alice@example.com"
    # ... until the client bypasses it: then the database says no, and the cookies are cleared.
    bypass = await client.get("/api/auth/get-session", params={"disableCookieCache": "true"})
    assert bypass.json() is None
    cleared = {c.split("=", 1)[0] for c in bypass.headers.get_list("set-cookie") if "Max-Age=0" in c}
    assert {"better-auth.session_token", "better-auth.session_data"} <= cleared


async def test_sign_out_expires_the_cache_cookie(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(session={"cookie_cache": {"enabled": True}})
    await sign_up(client)
    out = await client.post("/api/auth/sign-out", headers=ORIGIN, json={})
    assert "better-auth.session_data=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax" in out.headers.get_list("set-cookie")
    assert (await client.get("/api/auth/get-session")).json() is None


async def test_a_cache_cookie_for_another_session_is_ignored(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(session={"cookie_cache": {"enabled": True}})
    await sign_up(client, email="first@example.com")
    first_cache = client.cookies.get("better-auth.session_data")
    client.cookies.clear()
    await sign_up(client, email="second@example.com")
    client.cookies.set("better-auth.session_data", first_cache)
    body = (await client.get("/api/auth/get-session")).json()
    assert body["user"]["email"] == "second@example.com"


pytestmark = pytest.mark.anyio
