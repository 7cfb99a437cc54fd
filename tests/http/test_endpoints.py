"""Every core endpoint and its documented error paths (protocol §1.1-§1.14, §3, §4, §6), on each backend."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from fastapi_betterauth import BetterAuth, Where
from fastapi_betterauth._dates import now
from tests.conftest import ORIGIN, sign_up

pytestmark = pytest.mark.anyio
COOKIE_RE = (
    r"better-auth\.session_token=[A-Za-z0-9]{32}\.[A-Za-z0-9%]+%3D; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"
)


def cookies_named(response: httpx.Response, name: str) -> list[str]:
    return [c for c in response.headers.get_list("set-cookie") if c.startswith(name + "=")]


async def test_ok_and_error_page(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/auth/ok")).json() == {"ok": True}
    page = await client.get("/api/auth/error", params={"error": "<script>"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "UNKNOWN" in page.text and "<script>" not in page.text


async def test_error_redirects_in_production(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(environment="production", secret="Q3v9-kL2pX8mZ7rT4wY1sN6bH0jF5gD2cA9eU")
    r = await client.get("/api/auth/error", params={"error": "INVALID_TOKEN"})
    assert r.status_code == 302 and r.headers["location"] == "/?error=INVALID_TOKEN"


async def test_sign_up_creates_user_account_and_session(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    r = await client.post(
        "/api/auth/sign-up/email", json={"email": "Alice@Example.com", "password": "password123", "name": "Alice"}
    )
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"token", "user"}
    assert body["user"]["email"] == "alice@example.com" and body["user"]["emailVerified"] is False
    assert body["user"]["image"] is None and body["user"]["createdAt"].endswith("Z")
    [cookie] = cookies_named(r, "better-auth.session_token")
    assert cookie.startswith(f"better-auth.session_token={body['token']}.")
    assert cookie.endswith("%3D; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax")
    account = await auth.adapter.find_one("account", [Where("userId", body["user"]["id"])])
    assert account is not None and account["providerId"] == "credential" and account["accountId"] == body["user"]["id"]
    assert "password" not in body["user"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        # sign-up validates the format in its body schema (observed on Better Auth 1.7.24): VALIDATION_ERROR
        ({"email": "not-an-email", "password": "password123", "name": "x"}, 400, "VALIDATION_ERROR"),
        ({"email": "a@b.co", "password": "password123", "name": "x", "rememberMe": "yes"}, 400, "VALIDATION_ERROR"),
        ({"email": "a@b.co", "password": "short", "name": "x"}, 400, "PASSWORD_TOO_SHORT"),
        ({"email": "a@b.co", "password": "x" * 129, "name": "x"}, 400, "PASSWORD_TOO_LONG"),
        # 64 emoji are 128 UTF-16 code units (allowed); 65 are 130 (too long), as JavaScript counts them.
        ({"email": "a@b.co", "password": "😀" * 65, "name": "x"}, 400, "PASSWORD_TOO_LONG"),
        ({"email": "a@b.co", "password": "password123", "name": "x", "emailVerified": True}, 200, None),
    ],
)
async def test_sign_up_errors(client: httpx.AsyncClient, body: dict[str, Any], status: int, code: str | None) -> None:
    r = await client.post("/api/auth/sign-up/email", json=body)
    assert r.status_code == status, r.text
    if code:
        assert r.json()["code"] == code
    else:
        assert r.json()["user"]["emailVerified"] is False  # core fields outside the input schema are ignored


async def test_duplicate_sign_up_is_422(client: httpx.AsyncClient) -> None:
    await sign_up(client)
    r = await client.post(
        "/api/auth/sign-up/email",
        json={"email": "ALICE@example.com", "password": "password123", "name": "A"},
        headers=ORIGIN,
    )
    assert r.status_code == 422
    assert r.json() == {
        "message": "User already exists. Use another email.",
        "code": "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
    }


async def test_sign_up_without_auto_sign_in_hides_duplicates(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(email_and_password={"require_email_verification": True})
    first = await client.post(
        "/api/auth/sign-up/email", json={"email": "a@b.co", "password": "password123", "name": "A"}
    )
    again = await client.post(
        "/api/auth/sign-up/email", json={"email": "a@b.co", "password": "password123", "name": "A"}
    )
    for r in (first, again):
        assert r.status_code == 200 and r.json()["token"] is None
        assert not r.headers.get_list("set-cookie")
    assert first.json()["user"]["id"] != again.json()["user"]["id"]
    assert set(first.json()["user"]) == set(again.json()["user"])
    blocked = await client.post("/api/auth/sign-in/email", json={"email": "a@b.co", "password": "password123"})
    assert blocked.status_code == 403 and blocked.json()["code"] == "EMAIL_NOT_VERIFIED"


async def test_sign_up_disabled(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(email_and_password={"disable_sign_up": True})
    r = await client.post("/api/auth/sign-up/email", json={"email": "a@b.co", "password": "password123", "name": "A"})
    assert r.status_code == 400 and r.json()["code"] == "EMAIL_PASSWORD_SIGN_UP_DISABLED"


async def test_sign_in_answers_the_same_for_unknown_email_and_wrong_password(client: httpx.AsyncClient) -> None:
    await sign_up(client)
    client.cookies.clear()
    unknown = await client.post(
        "/api/auth/sign-in/email", json={"email": "nobody@example.com", "password": "password123"}
    )
    wrong = await client.post("/api/auth/sign-in/email", json={"email": "alice@example.com", "password": "password999"})
    for r in (unknown, wrong):
        assert r.status_code == 401
        assert r.json() == {"message": "Invalid email or password", "code": "INVALID_EMAIL_OR_PASSWORD"}
    too_long = await client.post("/api/auth/sign-in/email", json={"email": "alice@example.com", "password": "x" * 200})
    assert too_long.status_code == 400 and too_long.json()["code"] == "PASSWORD_TOO_LONG"
    invalid = await client.post("/api/auth/sign-in/email", json={"email": "nope", "password": "x"})
    assert invalid.json() == {"message": "Invalid email", "code": "INVALID_EMAIL"}


async def test_sign_in_with_callback_url_and_remember_me(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    await sign_up(client)
    client.cookies.clear()
    r = await client.post(
        "/api/auth/sign-in/email",
        json={
            "email": "ALICE@example.com",
            "password": "password123",
            "callbackURL": "/dashboard",
            "rememberMe": False,
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert body["redirect"] is True and body["url"] == "/dashboard" and r.headers["location"] == "/dashboard"
    [session_cookie] = cookies_named(r, "better-auth.session_token")
    assert "Max-Age" not in session_cookie
    [dont_remember] = cookies_named(r, "better-auth.dont_remember")
    assert dont_remember.startswith("better-auth.dont_remember=true.") and "Max-Age" not in dont_remember
    row = await auth.adapter.find_one("session", [Where("token", body["token"])])
    assert row is not None
    assert timedelta(hours=23) < row["expiresAt"] - now() <= timedelta(days=1)

    # A remembered sign-in in the same browser expires the marker.
    again = await client.post(
        "/api/auth/sign-in/email", json={"email": "alice@example.com", "password": "password123"}, headers=ORIGIN
    )
    assert again.json()["redirect"] is False and "url" not in again.json()
    assert "better-auth.dont_remember=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax" in again.headers.get_list(
        "set-cookie"
    )


async def test_get_session_shapes(client: httpx.AsyncClient) -> None:
    anonymous = await client.get("/api/auth/get-session")
    assert anonymous.status_code == 200 and anonymous.content == b"null"
    assert anonymous.headers["cache-control"] == "no-store" and anonymous.headers["pragma"] == "no-cache"
    token = (await sign_up(client)).json()["token"]
    body = (await client.get("/api/auth/get-session")).json()
    assert body["session"]["token"] == token and body["user"]["email"] == "alice@example.com"
    assert {"id", "expiresAt", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId"} <= set(body["session"])


async def test_deleted_or_expired_session_is_null_and_clears_cookies(
    client: httpx.AsyncClient, auth: BetterAuth
) -> None:
    token = (await sign_up(client)).json()["token"]
    await auth.adapter.update("session", [Where("token", token)], {"expiresAt": now() - timedelta(seconds=1)})
    r = await client.get("/api/auth/get-session")
    assert r.json() is None
    expired = [c for c in r.headers.get_list("set-cookie") if "Max-Age=0" in c]
    assert [c.split("=", 1)[0] for c in expired] == [
        "better-auth.session_token",
        "better-auth.session_data",
        "better-auth.dont_remember",
    ]
    assert await auth.adapter.find_one("session", [Where("token", token)]) is None  # expired row deleted


async def test_sliding_refresh(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    token = (await sign_up(client)).json()["token"]
    stale = now() + timedelta(days=5)  # last refresh two days ago (> update_age)
    await auth.adapter.update("session", [Where("token", token)], {"expiresAt": stale})

    no_refresh = await client.get("/api/auth/get-session", params={"disableRefresh": "false"})  # any value means true
    assert not no_refresh.headers.get_list("set-cookie")
    row = await auth.adapter.find_one("session", [Where("token", token)])
    assert row is not None and row["expiresAt"] == stale

    refreshed = await client.get("/api/auth/get-session")
    [cookie] = cookies_named(refreshed, "better-auth.session_token")
    assert f"better-auth.session_token={token}." in cookie and "Max-Age=604800" in cookie
    row = await auth.adapter.find_one("session", [Where("token", token)])
    assert row is not None and row["expiresAt"] - now() > timedelta(days=6, hours=23)
    assert refreshed.json()["session"]["token"] == token


async def test_defer_session_refresh(make_client: Callable[..., Any]) -> None:
    client, auth = await make_client(session={"defer_session_refresh": True})
    token = (await sign_up(client)).json()["token"]
    await auth.adapter.update("session", [Where("token", token)], {"expiresAt": now() + timedelta(days=5)})
    get = await client.get("/api/auth/get-session")
    assert get.json()["needsRefresh"] is True and not get.headers.get_list("set-cookie")
    post = await client.post("/api/auth/get-session", json={}, headers=ORIGIN)
    assert post.status_code == 200 and "needsRefresh" not in post.json()
    assert cookies_named(post, "better-auth.session_token")


async def test_post_get_session_without_defer_is_405(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/auth/get-session", json={})
    assert r.status_code == 405 and r.json()["code"] == "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED"


async def test_sign_out(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    anonymous = await client.post("/api/auth/sign-out", json={})
    assert anonymous.json() == {"success": True} and len(anonymous.headers.get_list("set-cookie")) == 3
    token = (await sign_up(client)).json()["token"]
    missing_origin = await client.post("/api/auth/sign-out", json={})
    assert missing_origin.status_code == 403 and missing_origin.json()["code"] == "MISSING_OR_NULL_ORIGIN"
    r = await client.post("/api/auth/sign-out", json={}, headers=ORIGIN)
    assert r.json() == {"success": True}
    assert await auth.adapter.find_one("session", [Where("token", token)]) is None
    assert (await client.get("/api/auth/get-session")).json() is None


async def test_list_and_revoke_sessions(make_client: Callable[..., Any]) -> None:
    client, auth = await make_client()
    first = (await sign_up(client)).json()["token"]
    second = (
        await client.post(
            "/api/auth/sign-in/email", json={"email": "alice@example.com", "password": "password123"}, headers=ORIGIN
        )
    ).json()["token"]
    third = (
        await client.post(
            "/api/auth/sign-in/email", json={"email": "alice@example.com", "password": "password123"}, headers=ORIGIN
        )
    ).json()["token"]
    listed = (await client.get("/api/auth/list-sessions")).json()
    assert {s["token"] for s in listed} == {first, second, third}

    # Revoking someone else's or an unknown token still answers status true, and changes nothing.
    assert (await client.post("/api/auth/revoke-session", json={"token": "unknown"}, headers=ORIGIN)).json() == {
        "status": True
    }
    assert (await client.post("/api/auth/revoke-session", json={"token": first}, headers=ORIGIN)).json() == {
        "status": True
    }
    assert {s["token"] for s in (await client.get("/api/auth/list-sessions")).json()} == {second, third}
    missing = await client.post("/api/auth/revoke-session", json={}, headers=ORIGIN)
    assert missing.status_code == 400 and missing.json()["message"].startswith("[body.token]")

    assert (await client.post("/api/auth/revoke-other-sessions", json={}, headers=ORIGIN)).json() == {"status": True}
    assert [s["token"] for s in (await client.get("/api/auth/list-sessions")).json()] == [third]
    r = await client.post("/api/auth/revoke-sessions", json={}, headers=ORIGIN)
    assert r.json() == {"status": True} and len([c for c in r.headers.get_list("set-cookie") if "Max-Age=0" in c]) == 3
    assert await auth.adapter.count("session") == 0


async def test_list_sessions_requires_a_fresh_session(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    token = (await sign_up(client)).json()["token"]
    await auth.adapter.update("session", [Where("token", token)], {"createdAt": now() - timedelta(days=2)})
    r = await client.get("/api/auth/list-sessions")
    assert r.status_code == 403 and r.json() == {"message": "Session is not fresh", "code": "SESSION_NOT_FRESH"}


async def test_revoking_own_session_clears_cookies(client: httpx.AsyncClient) -> None:
    token = (await sign_up(client)).json()["token"]
    r = await client.post("/api/auth/revoke-session", json={"token": token}, headers=ORIGIN)
    assert len([c for c in r.headers.get_list("set-cookie") if "Max-Age=0" in c]) == 3


async def test_update_user(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/auth/update-user", json={"name": "B"})).status_code == 401
    await sign_up(client)
    r = await client.post("/api/auth/update-user", json={"name": "Bob", "image": "https://img/x.png"}, headers=ORIGIN)
    assert r.json() == {"status": True}
    assert cookies_named(r, "better-auth.session_token")  # cookie re-issued
    user = (await client.get("/api/auth/get-session")).json()["user"]
    assert user["name"] == "Bob" and user["image"] == "https://img/x.png"
    cleared = await client.post("/api/auth/update-user", json={"image": None}, headers=ORIGIN)
    assert cleared.json() == {"status": True}
    assert (await client.get("/api/auth/get-session")).json()["user"]["image"] is None
    email = await client.post("/api/auth/update-user", json={"email": "x@y.co"}, headers=ORIGIN)
    assert email.json() == {"message": "Email can not be updated", "code": "EMAIL_CAN_NOT_BE_UPDATED"}
    nothing = await client.post("/api/auth/update-user", json={}, headers=ORIGIN)
    assert nothing.status_code == 400 and nothing.json() == {"message": "No fields to update"}
    # Core columns are not user input: ignored, so nothing is left to update (as Better Auth answers).
    verified = await client.post("/api/auth/update-user", json={"emailVerified": True}, headers=ORIGIN)
    assert verified.status_code == 400 and verified.json() == {"message": "No fields to update"}
    no_body = await client.post("/api/auth/update-user", headers=ORIGIN)
    assert no_body.json() == {
        "message": "[body] Invalid input: expected record, received undefined",
        "code": "VALIDATION_ERROR",
    }
    wrong_type = await client.post("/api/auth/update-user", json={"name": 5}, headers=ORIGIN)
    assert wrong_type.status_code == 400 and wrong_type.json()["code"] == "VALIDATION_ERROR"


async def test_secure_cookies_with_https_base_url(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(base_url="https://auth.example.com")
    r = await client.post(
        "https://auth.example.com/api/auth/sign-up/email",
        json={"email": "s@b.co", "password": "password123", "name": "S"},
    )
    [cookie] = [c for c in r.headers.get_list("set-cookie")]
    assert cookie.startswith("__Secure-better-auth.session_token=")
    assert cookie.endswith("; Max-Age=604800; Path=/; HttpOnly; Secure; SameSite=Lax")


async def test_ip_address_and_user_agent(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/auth/sign-up/email",
        json={"email": "ip@b.co", "password": "password123", "name": "I"},
        headers={"x-forwarded-for": "203.0.113.7", "user-agent": "UA-Test/1.0"},
    )
    session = (await client.get("/api/auth/get-session")).json()["session"]
    assert r.status_code == 200 and session["ipAddress"] == "203.0.113.7" and session["userAgent"] == "UA-Test/1.0"
    client.cookies.clear()
    await client.post(
        "/api/auth/sign-in/email",
        json={"email": "ip@b.co", "password": "password123"},
        headers={"x-forwarded-for": "198.51.100.9, 10.0.0.1"},
    )
    assert (await client.get("/api/auth/get-session")).json()["session"]["ipAddress"] == ""
