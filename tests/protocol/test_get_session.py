"""GET/POST /get-session: null answers, cookie clearing, sliding refresh, deferred refresh (§1.3, §4)."""

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
    ISO_MS,
    SESSION_COOKIE,
    SESSION_KEYS,
    USER_KEYS,
    close_to,
    iso_to_datetime,
    make_stale,
    new_user,
    now,
    session_cookie,
    session_row,
    set_cookies,
    sign_in,
    update_session_row,
    with_cookie,
)

pytestmark = pytest.mark.anyio
WEEK = timedelta(days=7)


def assert_no_store(response: httpx.Response) -> None:
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"


async def test_no_cookie_is_null(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/get-session")
    assert response.status_code == 200
    assert response.content == b"null"
    assert response.headers["content-type"] == "application/json"
    assert_no_store(response)
    assert set_cookies(response) == []


async def test_valid_session_shape(client: httpx.AsyncClient) -> None:
    signed_up, cookie = await new_user(client)
    response = await client.get(f"{API}/get-session", headers={"cookie": cookie, "user-agent": "UA-Test/1.0"})
    assert response.status_code == 200
    assert_no_store(response)
    body = response.json()
    assert set(body) == {"session", "user"}
    session, user = body["session"], body["user"]
    assert set(session) == SESSION_KEYS
    assert set(user) == USER_KEYS
    assert session["token"] == signed_up["token"]
    assert session["userId"] == user["id"] == signed_up["user"]["id"]
    assert session["ipAddress"] == ""
    assert user == signed_up["user"]
    for value in (session["expiresAt"], session["createdAt"], session["updatedAt"], user["createdAt"]):
        assert ISO_MS.match(value), value
    lifetime = iso_to_datetime(session["expiresAt"]) - iso_to_datetime(session["createdAt"])
    assert abs(lifetime - WEEK) < timedelta(seconds=5)
    assert set_cookies(response) == [], "a fresh session is not refreshed"


async def test_user_agent_and_forwarded_ip_are_recorded(client: httpx.AsyncClient) -> None:
    await new_user(client)
    response = await client.post(
        f"{API}/sign-in/email",
        json={"email": "alice@example.com", "password": "password123"},
        headers={"user-agent": "UA-Test/1.0", "x-forwarded-for": "203.0.113.7"},
    )
    token = response.json()["token"]
    session = (await client.get(f"{API}/get-session", headers={"cookie": session_cookie(token)})).json()["session"]
    assert session["userAgent"] == "UA-Test/1.0"
    assert session["ipAddress"] == "203.0.113.7"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("{token}", id="unsigned"),
        pytest.param("{token}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", id="wrong-signature"),
        pytest.param("{token}.{short}", id="truncated-signature"),
        pytest.param("{other}", id="signature-of-another-token"),
    ],
)
async def test_bad_signatures_are_null_without_set_cookie(client: httpx.AsyncClient, value: str) -> None:
    body, cookie = await new_user(client)
    token = body["token"]
    good = cookie.split("=", 1)[1]
    raw = value.format(
        token=token,
        short=good.split(".", 1)[1][:20],
        other=session_cookie("x" * 32).split("=", 1)[1].replace("x" * 32, token),
    )
    response = await client.get(f"{API}/get-session", headers={"cookie": f"{SESSION_COOKIE}={raw}"})
    assert response.status_code == 200
    assert response.json() is None
    assert set_cookies(response) == []
    assert await session_row_exists(client, cookie), "the real session is untouched"


async def session_row_exists(client: httpx.AsyncClient, cookie: str) -> bool:
    return (await client.get(f"{API}/get-session", headers={"cookie": cookie})).json() is not None


async def test_unknown_token_with_valid_signature_clears_cookies(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/get-session", headers={"cookie": session_cookie("Z" * 32)})
    assert response.status_code == 200
    assert response.json() is None
    assert set_cookies(response) == EXPIRED


async def test_deleted_session_clears_cookies(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    body, cookie = await new_user(client)
    await auth.store.delete_session(body["token"])
    response = await client.get(f"{API}/get-session", headers={"cookie": cookie})
    assert response.json() is None
    assert set_cookies(response) == EXPIRED
    assert_no_store(response)


async def test_expired_session_is_null_cleared_and_deleted(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    body, cookie = await new_user(client)
    token = body["token"]
    await update_session_row(auth, token, expiresAt=now() - timedelta(seconds=1))
    response = await client.get(f"{API}/get-session", headers={"cookie": cookie})
    assert response.status_code == 200
    assert response.json() is None
    assert set_cookies(response) == EXPIRED
    assert await session_row(auth, token) is None, "the expired row is deleted"


async def test_sliding_refresh_when_older_than_update_age(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    body, cookie = await new_user(client)
    token = body["token"]
    old_expiry = await make_stale(auth, token, days=2)
    response = await client.get(f"{API}/get-session", headers={"cookie": cookie})
    assert response.status_code == 200
    session = response.json()["session"]
    assert session["token"] == token, "the token never changes on refresh"
    assert close_to(iso_to_datetime(session["expiresAt"]), now() + WEEK)
    assert close_to(iso_to_datetime(session["updatedAt"]), now())
    assert set_cookies(response) == [f"{cookie}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"]
    row = await session_row(auth, token)
    assert row is not None
    assert row["expiresAt"] > old_expiry + timedelta(days=1)
    assert close_to(row["expiresAt"], now() + WEEK)
    assert close_to(row["updatedAt"], now())


async def test_no_refresh_just_before_update_age(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    body, cookie = await new_user(client)
    expiry = await make_stale(auth, body["token"], days=0.9)
    response = await client.get(f"{API}/get-session", headers={"cookie": cookie})
    assert response.json() is not None
    assert set_cookies(response) == []
    row = await session_row(auth, body["token"])
    assert row is not None and row["expiresAt"] == expiry


@pytest.mark.parametrize("value", ["true", "1", "false", "0", "no"])
async def test_disable_refresh_any_non_empty_value_means_true(
    client: httpx.AsyncClient, auth: BetterAuth, value: str
) -> None:
    body, cookie = await new_user(client)
    expiry = await make_stale(auth, body["token"], days=2)
    response = await client.get(f"{API}/get-session?disableRefresh={value}", headers={"cookie": cookie})
    assert response.json()["session"]["token"] == body["token"]
    assert set_cookies(response) == []
    row = await session_row(auth, body["token"])
    assert row is not None and row["expiresAt"] == expiry


async def test_empty_disable_refresh_still_refreshes(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    body, cookie = await new_user(client)
    await make_stale(auth, body["token"], days=2)
    response = await client.get(f"{API}/get-session?disableRefresh=", headers={"cookie": cookie})
    assert set_cookies(response, SESSION_COOKIE) != []


async def test_disable_session_refresh_setting(make_client: Callable[..., Any]) -> None:
    client, auth = await make_client(session={"disable_session_refresh": True})
    body, cookie = await new_user(client)
    await make_stale(auth, body["token"], days=2)
    response = await client.get(f"{API}/get-session", headers={"cookie": cookie})
    assert response.json() is not None
    assert set_cookies(response) == []


async def test_update_age_zero_refreshes_every_call(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(session={"update_age": 0})
    _, cookie = await new_user(client)
    response = await client.get(f"{API}/get-session", headers={"cookie": cookie})
    assert set_cookies(response) == [f"{cookie}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"]


async def test_dont_remember_prevents_refresh(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    await new_user(client)
    body, cookie = await sign_in(client, rememberMe=False)
    assert "better-auth.dont_remember=" in cookie
    # A one-day session always looks older than update_age to the refresh rule
    # (expiresAt - expiresIn + updateAge <= now): only the dont_remember cookie keeps it from sliding.
    before = await session_row(auth, body["token"])
    assert before is not None
    response = await client.get(f"{API}/get-session", headers={"cookie": cookie})
    assert response.json()["session"]["token"] == body["token"]
    assert set_cookies(response) == []
    after = await session_row(auth, body["token"])
    assert after is not None and after["expiresAt"] == before["expiresAt"]

    without_marker = cookie.split("; ")[0]
    slid = await client.get(f"{API}/get-session", headers={"cookie": without_marker})
    assert set_cookies(slid) == [f"{without_marker}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"]


async def test_get_session_post_without_defer_is_405(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{API}/get-session", json={}, headers={"origin": "http://localhost:3000"})
    assert response.status_code == 405
    assert response.json() == {
        "message": "POST method requires deferSessionRefresh to be enabled in session config",
        "code": "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED",
    }
    assert_no_store(response)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        pytest.param(b"[]", "application/json", id="array"),
        pytest.param(b"null", "application/json", id="null"),
        pytest.param(b"{not json", "application/json", id="malformed-json"),
        pytest.param(b"hello", "text/plain", id="text-plain"),
    ],
)
async def test_get_session_post_ignores_its_body(client: httpx.AsyncClient, content: bytes, content_type: str) -> None:
    # Better Auth declares get-session with `disableBody: true`: the body is never parsed or validated.
    response = await client.post(f"{API}/get-session", content=content, headers={"content-type": content_type})
    assert response.status_code == 405
    assert response.json()["code"] == "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED"


async def test_deferred_refresh(make_client: Callable[..., Any]) -> None:
    client, auth = await make_client(session={"defer_session_refresh": True})
    body, cookie = await new_user(client)
    token = body["token"]

    fresh = await client.get(f"{API}/get-session", headers={"cookie": cookie})
    assert fresh.json()["needsRefresh"] is False
    assert set(fresh.json()) == {"session", "user", "needsRefresh"}
    assert set_cookies(fresh) == []

    expiry = await make_stale(auth, token, days=2)
    stale = await client.get(f"{API}/get-session", headers={"cookie": cookie})
    assert stale.json()["needsRefresh"] is True
    assert set_cookies(stale) == [], "GET never writes in deferred mode"
    row = await session_row(auth, token)
    assert row is not None and row["expiresAt"] == expiry

    refreshed = await client.post(f"{API}/get-session", json={}, headers=with_cookie(cookie))
    assert refreshed.status_code == 200
    assert set(refreshed.json()) == {"session", "user"}
    assert close_to(iso_to_datetime(refreshed.json()["session"]["expiresAt"]), now() + WEEK)
    assert set_cookies(refreshed) == [f"{cookie}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"]
    assert_no_store(refreshed)
    row = await session_row(auth, token)
    assert row is not None and close_to(row["expiresAt"], now() + WEEK)

    after = await client.get(f"{API}/get-session", headers={"cookie": cookie})
    assert after.json()["needsRefresh"] is False


async def test_deferred_post_without_session_is_null(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(session={"defer_session_refresh": True})
    response = await client.post(f"{API}/get-session", json={})
    assert response.status_code == 200
    assert response.json() is None


async def test_deferred_post_is_origin_checked(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(session={"defer_session_refresh": True})
    _, cookie = await new_user(client)
    response = await client.post(f"{API}/get-session", json={}, headers={"cookie": cookie})
    assert response.status_code == 403
    assert response.json()["code"] == "MISSING_OR_NULL_ORIGIN"


async def test_get_is_never_origin_checked(client: httpx.AsyncClient) -> None:
    _, cookie = await new_user(client)
    response = await client.get(f"{API}/get-session", headers={"cookie": cookie, "origin": "https://evil.example"})
    assert response.status_code == 200
    assert response.json() is not None
