"""POST /sign-in/email (protocol §1.5, §3.4, §5)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from fastapi_betterauth import BetterAuth, Where
from tests.protocol._helpers import (
    API,
    DONT_REMEMBER_COOKIE,
    PASSWORD,
    SESSION_COOKIE,
    TOKEN_RE,
    close_to,
    new_user,
    now,
    session_row,
    set_cookies,
    sign_in,
    signed,
    with_cookie,
)

pytestmark = pytest.mark.anyio
SIGN_IN = f"{API}/sign-in/email"
INVALID = {"message": "Invalid email or password", "code": "INVALID_EMAIL_OR_PASSWORD"}


async def test_sign_in_success(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    signed_up, _ = await new_user(client)
    response = await client.post(SIGN_IN, json={"email": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 200
    data = response.json()
    assert list(data) == ["redirect", "token", "user"], "no url key without a callbackURL"
    assert data["redirect"] is False
    assert TOKEN_RE.match(data["token"]) and data["token"] != signed_up["token"]
    assert data["user"] == signed_up["user"]
    assert "location" not in response.headers
    assert set_cookies(response) == [
        f"{SESSION_COOKIE}={signed(data['token'])}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"
    ]
    row = await session_row(auth, data["token"])
    assert row is not None and close_to(row["expiresAt"], now() + timedelta(days=7))
    assert await auth.adapter.count("session") == 2


async def test_unknown_email_and_wrong_password_are_indistinguishable(client: httpx.AsyncClient) -> None:
    await new_user(client)
    unknown = await client.post(SIGN_IN, json={"email": "nobody@example.com", "password": PASSWORD})
    wrong = await client.post(SIGN_IN, json={"email": "alice@example.com", "password": "wrong-password"})
    short = await client.post(SIGN_IN, json={"email": "alice@example.com", "password": "x"})
    for response in (unknown, wrong, short):
        assert response.status_code == 401
        assert response.content == b'{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}'
        assert set_cookies(response) == []
    assert unknown.headers.items() == wrong.headers.items()


async def test_user_without_credential_account_is_401(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    signed_up, _ = await new_user(client)
    await auth.adapter.delete("account", [Where("userId", signed_up["user"]["id"])])
    response = await client.post(SIGN_IN, json={"email": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 401
    assert response.json() == INVALID


@pytest.mark.parametrize("email", ["ALICE@EXAMPLE.COM", "Alice@Example.com", "alice@EXAMPLE.com"])
async def test_email_is_case_insensitive(client: httpx.AsyncClient, email: str) -> None:
    await new_user(client)
    response = await client.post(SIGN_IN, json={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["user"]["email"] == "alice@example.com"


@pytest.mark.parametrize("email", ["not-an-email", "", "a@b", "alice@example.com ", "alice@example.com\n"])
async def test_invalid_email_format(client: httpx.AsyncClient, email: str) -> None:
    response = await client.post(SIGN_IN, json={"email": email, "password": PASSWORD})
    assert response.status_code == 400
    assert response.json() == {"message": "Invalid email", "code": "INVALID_EMAIL"}


async def test_password_too_long_is_checked_before_lookup(client: httpx.AsyncClient) -> None:
    await new_user(client)
    for email in ("alice@example.com", "nobody@example.com"):
        response = await client.post(SIGN_IN, json={"email": email, "password": "x" * 129})
        assert response.status_code == 400
        assert response.json() == {"message": "Password too long", "code": "PASSWORD_TOO_LONG"}
    emoji = await client.post(SIGN_IN, json={"email": "alice@example.com", "password": "\U0001f600" * 65})
    assert emoji.json()["code"] == "PASSWORD_TOO_LONG", "counted in UTF-16 code units"
    at_limit = await client.post(SIGN_IN, json={"email": "alice@example.com", "password": "\U0001f600" * 64})
    assert at_limit.status_code == 401


async def test_empty_callback_url_is_echoed_without_redirect(client: httpx.AsyncClient) -> None:
    # OBSERVED on Better Auth 1.7.24: `url: ""` is kept in the JSON, redirect is false, no Location.
    await new_user(client)
    response = await client.post(SIGN_IN, json={"email": "alice@example.com", "password": PASSWORD, "callbackURL": ""})
    assert response.status_code == 200
    data = response.json()
    assert data["redirect"] is False
    assert data["url"] == ""
    assert "location" not in response.headers


async def test_remember_me_false(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    await new_user(client)
    response = await client.post(
        SIGN_IN, json={"email": "alice@example.com", "password": PASSWORD, "rememberMe": False}
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert set_cookies(response) == [
        f"{SESSION_COOKIE}={signed(token)}; Path=/; HttpOnly; SameSite=Lax",
        f"{DONT_REMEMBER_COOKIE}={signed('true')}; Path=/; HttpOnly; SameSite=Lax",
    ]
    row = await session_row(auth, token)
    assert row is not None
    assert close_to(row["expiresAt"], now() + timedelta(days=1))
    assert abs(row["expiresAt"] - row["createdAt"] - timedelta(days=1)) < timedelta(seconds=5)


async def test_remembered_sign_in_expires_dont_remember(client: httpx.AsyncClient) -> None:
    await new_user(client)
    _, forgetful = await sign_in(client, rememberMe=False)
    response = await client.post(
        SIGN_IN, json={"email": "alice@example.com", "password": PASSWORD}, headers=with_cookie(forgetful)
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert set_cookies(response) == [
        f"{SESSION_COOKIE}={signed(token)}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax",
        f"{DONT_REMEMBER_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
    ]


async def test_forged_dont_remember_cookie_is_left_alone(client: httpx.AsyncClient) -> None:
    # Better Auth only expires a dont_remember cookie whose signature verifies (setSessionCookie).
    await new_user(client)
    response = await client.post(
        SIGN_IN,
        json={"email": "alice@example.com", "password": PASSWORD},
        headers=with_cookie(f"{DONT_REMEMBER_COOKIE}=true.forged"),
    )
    assert response.status_code == 200
    assert set_cookies(response, DONT_REMEMBER_COOKIE) == []


async def test_remember_me_must_be_a_boolean(client: httpx.AsyncClient) -> None:
    await new_user(client)
    for value, kind in (("false", "string"), (0, "number"), (None, "null")):
        response = await client.post(
            SIGN_IN, json={"email": "alice@example.com", "password": PASSWORD, "rememberMe": value}
        )
        assert response.status_code == 400
        assert response.json() == {
            "message": f"[body.rememberMe] Invalid input: expected boolean, received {kind}",
            "code": "VALIDATION_ERROR",
        }


async def test_null_callback_url_is_a_validation_error(client: httpx.AsyncClient) -> None:
    response = await client.post(
        SIGN_IN, json={"email": "alice@example.com", "password": PASSWORD, "callbackURL": None}
    )
    assert response.status_code == 400
    assert response.json() == {
        "message": "[body.callbackURL] Invalid input: expected string, received null",
        "code": "VALIDATION_ERROR",
    }


async def test_email_verification_required(make_client: Callable[..., Any]) -> None:
    client, auth = await make_client(email_and_password={"require_email_verification": True})
    response = await client.post(
        f"{API}/sign-up/email", json={"email": "alice@example.com", "password": PASSWORD, "name": "A"}
    )
    user_id = response.json()["user"]["id"]
    refused = await client.post(SIGN_IN, json={"email": "alice@example.com", "password": PASSWORD})
    assert refused.status_code == 403
    assert refused.json() == {"message": "Email not verified", "code": "EMAIL_NOT_VERIFIED"}
    assert set_cookies(refused) == []
    wrong = await client.post(SIGN_IN, json={"email": "alice@example.com", "password": "wrong-password"})
    assert wrong.status_code == 401, "the password is checked first"

    await auth.adapter.update("user", [Where("id", user_id)], {"emailVerified": True})
    accepted = await client.post(SIGN_IN, json={"email": "alice@example.com", "password": PASSWORD})
    assert accepted.status_code == 200
    assert accepted.json()["user"]["emailVerified"] is True


async def test_email_password_disabled(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(email_and_password={"enabled": False})
    response = await client.post(SIGN_IN, json={"email": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert response.json() == {"message": "Email and password is not enabled", "code": "EMAIL_PASSWORD_DISABLED"}


async def test_missing_fields(client: httpx.AsyncClient) -> None:
    response = await client.post(SIGN_IN, json={})
    assert response.status_code == 400
    assert response.json() == {
        "message": "[body.email] Invalid input: expected string, received undefined; "
        "[body.password] Invalid input: expected string, received undefined",
        "code": "VALIDATION_ERROR",
    }
