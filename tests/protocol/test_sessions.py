"""list-sessions, revoke-session, revoke-sessions, revoke-other-sessions, update-session (§1.9-§1.12, §1.14)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from fastapi_betterauth import BetterAuth
from tests.protocol._helpers import (
    API,
    EXPIRED,
    SESSION_KEYS,
    new_user,
    now,
    session_row,
    set_cookies,
    sign_in,
    update_session_row,
    with_cookie,
)

pytestmark = pytest.mark.anyio
UNAUTHORIZED = {"message": "Unauthorized", "code": "UNAUTHORIZED"}
STATUS_TRUE = b'{"status":true}'


async def two_devices(client: httpx.AsyncClient) -> tuple[str, str, str, str]:
    """Alice signed in twice: (token1, cookie1, token2, cookie2)."""
    first, cookie1 = await new_user(client)
    second, cookie2 = await sign_in(client)
    return first["token"], cookie1, second["token"], cookie2


async def test_list_sessions(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    token1, cookie1, token2, _ = await two_devices(client)
    await new_user(client, email="bob@example.com")
    expired, _ = await sign_in(client)
    await update_session_row(auth, expired["token"], expiresAt=now() - timedelta(minutes=1))

    response = await client.get(f"{API}/list-sessions", headers={"cookie": cookie1})
    assert response.status_code == 200
    sessions = response.json()
    assert isinstance(sessions, list)
    assert {s["token"] for s in sessions} == {token1, token2}, "only the caller's live sessions, tokens included"
    for session in sessions:
        assert set(session) == SESSION_KEYS
    get_session = (await client.get(f"{API}/get-session", headers={"cookie": cookie1})).json()["session"]
    assert get_session in sessions


async def test_list_sessions_needs_a_fresh_session(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    body, cookie = await new_user(client)
    await update_session_row(auth, body["token"], createdAt=now() - timedelta(days=1, seconds=5))
    response = await client.get(f"{API}/list-sessions", headers={"cookie": cookie})
    assert response.status_code == 403
    assert response.json() == {"message": "Session is not fresh", "code": "SESSION_NOT_FRESH"}


async def test_list_sessions_just_under_fresh_age(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    body, cookie = await new_user(client)
    await update_session_row(auth, body["token"], createdAt=now() - timedelta(hours=23))
    response = await client.get(f"{API}/list-sessions", headers={"cookie": cookie})
    assert response.status_code == 200


async def test_fresh_age_zero_disables_the_check(make_client: Callable[..., Any]) -> None:
    client, auth = await make_client(session={"fresh_age": 0})
    body, cookie = await new_user(client)
    await update_session_row(auth, body["token"], createdAt=now() - timedelta(days=6))
    response = await client.get(f"{API}/list-sessions", headers={"cookie": cookie})
    assert response.status_code == 200


async def test_list_sessions_anonymous(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/list-sessions")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


async def test_revoke_own_other_session(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    token1, cookie1, token2, _ = await two_devices(client)
    response = await client.post(f"{API}/revoke-session", json={"token": token2}, headers=with_cookie(cookie1))
    assert response.status_code == 200
    assert response.content == STATUS_TRUE
    assert set_cookies(response) == [], "revoking another session leaves this browser's cookies alone"
    assert await session_row(auth, token2) is None
    assert await session_row(auth, token1) is not None


async def test_revoke_current_session_clears_cookies(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    token1, cookie1, token2, _ = await two_devices(client)
    response = await client.post(f"{API}/revoke-session", json={"token": token1}, headers=with_cookie(cookie1))
    assert response.status_code == 200
    assert response.content == STATUS_TRUE
    assert set_cookies(response) == EXPIRED
    assert await session_row(auth, token1) is None
    assert await session_row(auth, token2) is not None


@pytest.mark.parametrize("target", ["someone-else", "unknown", "empty"])
async def test_revoke_session_always_answers_true(client: httpx.AsyncClient, auth: BetterAuth, target: str) -> None:
    bob, _ = await new_user(client, email="bob@example.com")
    _, cookie = await new_user(client)
    token = {"someone-else": bob["token"], "unknown": "Z" * 32, "empty": ""}[target]
    response = await client.post(f"{API}/revoke-session", json={"token": token}, headers=with_cookie(cookie))
    assert response.status_code == 200
    assert response.content == STATUS_TRUE
    assert set_cookies(response) == []
    assert await session_row(auth, bob["token"]) is not None, "another user's session is never deleted"


async def test_revoke_session_validation_and_auth(client: httpx.AsyncClient) -> None:
    _, cookie = await new_user(client)
    missing = await client.post(f"{API}/revoke-session", json={}, headers=with_cookie(cookie))
    assert missing.status_code == 400
    assert missing.json() == {
        "message": "[body.token] Invalid input: expected string, received undefined",
        "code": "VALIDATION_ERROR",
    }
    wrong_type = await client.post(f"{API}/revoke-session", json={"token": 5}, headers=with_cookie(cookie))
    assert wrong_type.json()["message"] == "[body.token] Invalid input: expected string, received number"
    anonymous = await client.post(f"{API}/revoke-session", json={"token": "x"})
    assert anonymous.status_code == 401
    assert anonymous.json() == UNAUTHORIZED
    no_origin = await client.post(f"{API}/revoke-session", json={"token": "x"}, headers={"cookie": cookie})
    assert no_origin.status_code == 403
    assert no_origin.json()["code"] == "MISSING_OR_NULL_ORIGIN"


async def test_revoke_sessions(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    token1, cookie1, token2, _ = await two_devices(client)
    bob, _ = await new_user(client, email="bob@example.com")
    response = await client.post(f"{API}/revoke-sessions", json={}, headers=with_cookie(cookie1))
    assert response.status_code == 200
    assert response.content == STATUS_TRUE
    assert set_cookies(response) == EXPIRED
    assert await session_row(auth, token1) is None
    assert await session_row(auth, token2) is None
    assert await session_row(auth, bob["token"]) is not None
    after = await client.get(f"{API}/get-session", headers={"cookie": cookie1})
    assert after.json() is None


async def test_revoke_other_sessions(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    token1, cookie1, token2, _ = await two_devices(client)
    third, _ = await sign_in(client)
    bob, _ = await new_user(client, email="bob@example.com")
    response = await client.post(f"{API}/revoke-other-sessions", json={}, headers=with_cookie(cookie1))
    assert response.status_code == 200
    assert response.content == STATUS_TRUE
    assert set_cookies(response) == []
    assert await session_row(auth, token1) is not None
    assert await session_row(auth, token2) is None
    assert await session_row(auth, third["token"]) is None
    assert await session_row(auth, bob["token"]) is not None


@pytest.mark.parametrize("path", ["/revoke-sessions", "/revoke-other-sessions"])
async def test_bulk_revocation_has_no_body_schema(client: httpx.AsyncClient, path: str) -> None:
    # Better Auth declares no body for these endpoints: any JSON body is accepted (only parsed).
    _, cookie = await new_user(client)
    for raw in (b"[]", b'"x"', b"null", b"5", b'{"anything":[1,2]}'):
        response = await client.post(
            f"{API}{path}", content=raw, headers={**with_cookie(cookie), "content-type": "application/json"}
        )
        assert response.status_code == 200, (raw, response.text)
        if path == "/revoke-sessions":
            _, cookie = await sign_in(client)


@pytest.mark.parametrize("path", ["/revoke-sessions", "/revoke-other-sessions"])
async def test_bulk_revocation_needs_a_session(client: httpx.AsyncClient, path: str) -> None:
    for kwargs in ({"json": {}}, {}, {"content": b"[]", "headers": {"content-type": "application/json"}}):
        response = await client.post(f"{API}{path}", **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED


async def test_update_session_body_is_a_required_record(client: httpx.AsyncClient) -> None:
    _, cookie = await new_user(client)
    for kwargs, kind in (
        ({}, "undefined"),
        ({"content": b"[]"}, "array"),
        ({"content": b"null"}, "null"),
    ):
        headers = {**with_cookie(cookie), "content-type": "application/json"}
        response = await client.post(f"{API}/update-session", headers=headers, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 400
        assert response.json() == {
            "message": f"[body] Invalid input: expected record, received {kind}",
            "code": "VALIDATION_ERROR",
        }


async def test_update_session_without_fields(client: httpx.AsyncClient) -> None:
    _, cookie = await new_user(client)
    for payload in ({}, {"token": "x", "userId": "y", "unknown": 1}):
        response = await client.post(f"{API}/update-session", json=payload, headers=with_cookie(cookie))
        assert response.status_code == 400
        assert response.content == b'{"message":"No fields to update"}'
    anonymous = await client.post(f"{API}/update-session", json={})
    assert anonymous.status_code == 401


async def test_list_sessions_answers_a_bounded_list_of_the_newest(
    client: httpx.AsyncClient, auth: BetterAuth, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review finding 8: one account signing in endlessly cannot make the list unbounded."""
    monkeypatch.setattr("fastapi_betterauth.db.store.MAX_LISTED_SESSIONS", 3)
    first, cookie = await new_user(client)
    await update_session_row(auth, first["token"], createdAt=now() - timedelta(minutes=20))
    tokens = []
    for n in range(4):
        signed_in, cookie = await sign_in(client)
        tokens.append(signed_in["token"])
        # Distinct creation times (sign-ins within one millisecond would tie).
        await update_session_row(auth, signed_in["token"], createdAt=now() - timedelta(minutes=10 - n))
    listed = (await client.get(f"{API}/list-sessions", headers=with_cookie(cookie))).json()
    assert [s["token"] for s in listed] == tokens[-3:]  # the newest three, oldest first
