"""POST /sign-up/email (protocol §1.4, §3.4, §5 length policy)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from fastapi_betterauth import BetterAuth, Where, admin
from fastapi_betterauth.db.schema import FieldSpec, TableSpec
from fastapi_betterauth.protocol.plugin import Plugin
from tests.protocol._helpers import (
    API,
    DONT_REMEMBER_COOKIE,
    ISO_MS,
    PASSWORD,
    SESSION_COOKIE,
    TOKEN_RE,
    USER_KEYS,
    close_to,
    new_user,
    now,
    session_row,
    set_cookies,
    signed,
)

pytestmark = pytest.mark.anyio
SIGN_UP = f"{API}/sign-up/email"
EXISTS = {"message": "User already exists. Use another email.", "code": "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"}
TOO_SHORT = {"message": "Password too short", "code": "PASSWORD_TOO_SHORT"}
TOO_LONG = {"message": "Password too long", "code": "PASSWORD_TOO_LONG"}
UNDEFINED_STRING = "Invalid input: expected string, received undefined"


def body(email: str = "alice@example.com", password: str = PASSWORD, name: str = "Alice", **extra: Any) -> Any:
    return {"email": email, "password": password, "name": name, **extra}


async def test_sign_up_creates_user_account_and_session(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    response = await client.post(SIGN_UP, json=body(email="Alice@Example.COM"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    data = response.json()
    assert set(data) == {"token", "user"}
    assert TOKEN_RE.match(data["token"])
    user = data["user"]
    assert set(user) == USER_KEYS
    assert user["email"] == "alice@example.com", "emails are lower-cased before storing"
    assert user["name"] == "Alice"
    assert user["emailVerified"] is False
    assert user["image"] is None
    assert TOKEN_RE.match(user["id"])
    assert ISO_MS.match(user["createdAt"]) and ISO_MS.match(user["updatedAt"])
    assert set_cookies(response) == [
        f"{SESSION_COOKIE}={signed(data['token'])}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"
    ]

    account = await auth.adapter.find_one("account", [Where("userId", user["id"])])
    assert account is not None
    assert account["providerId"] == "credential"
    assert account["accountId"] == user["id"]
    assert account["password"] and PASSWORD not in account["password"]
    row = await session_row(auth, data["token"])
    assert row is not None and row["userId"] == user["id"]
    assert close_to(row["expiresAt"], now() + timedelta(days=7))
    stored = await auth.adapter.find_one("user", [Where("id", user["id"])])
    assert stored is not None and stored["email"] == "alice@example.com"


async def test_image_is_stored(client: httpx.AsyncClient) -> None:
    response = await client.post(SIGN_UP, json=body(image="https://img.example/a.png"))
    assert response.json()["user"]["image"] == "https://img.example/a.png"


@pytest.mark.parametrize("email", ["alice@example.com", "ALICE@example.com", "Alice@Example.Com"])
async def test_duplicate_email_is_422(client: httpx.AsyncClient, email: str) -> None:
    await new_user(client)
    response = await client.post(SIGN_UP, json=body(email=email))
    assert response.status_code == 422
    assert response.json() == EXISTS
    assert set_cookies(response) == []


@pytest.mark.parametrize(
    "email", ["not-an-email", "a@b", "@example.com", "a..b@example.com", " a@example.com", "", "alice@example.com\n"]
)
async def test_invalid_email_is_a_validation_error(client: httpx.AsyncClient, email: str) -> None:
    # Sign-up checks the format in its body schema (zod `z.email()`), observed as VALIDATION_ERROR.
    response = await client.post(SIGN_UP, json=body(email=email))
    assert response.status_code == 400
    assert response.json() == {"message": "[body.email] Invalid email address", "code": "VALIDATION_ERROR"}


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        pytest.param("1234567", TOO_SHORT, id="7-chars"),
        pytest.param("12345678", None, id="8-chars"),
        pytest.param("x" * 128, None, id="128-chars"),
        pytest.param("x" * 129, TOO_LONG, id="129-chars"),
        pytest.param("\U0001f600" * 4, None, id="4-emoji-are-8-utf16-units"),
        pytest.param("\U0001f600" * 3 + "x", TOO_SHORT, id="3-emoji-and-1-char-are-7-units"),
        pytest.param("\U0001f600" * 64, None, id="64-emoji-are-128-units"),
        pytest.param("\U0001f600" * 64 + "x", TOO_LONG, id="64-emoji-and-1-char-are-129-units"),
        pytest.param("é" * 8, None, id="8-bmp-chars"),
    ],
)
async def test_password_length_counts_utf16_units(
    client: httpx.AsyncClient, password: str, expected: dict[str, str] | None
) -> None:
    response = await client.post(SIGN_UP, json=body(password=password))
    if expected is None:
        assert response.status_code == 200, response.text
        client.cookies.clear()
        sign_in = await client.post(f"{API}/sign-in/email", json={"email": "alice@example.com", "password": password})
        assert sign_in.status_code == 200
    else:
        assert response.status_code == 400
        assert response.json() == expected


async def test_custom_password_lengths(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(email_and_password={"min_password_length": 4, "max_password_length": 6})
    assert (await client.post(SIGN_UP, json=body(email="a@example.com", password="123"))).json() == TOO_SHORT
    assert (await client.post(SIGN_UP, json=body(email="b@example.com", password="1234567"))).json() == TOO_LONG
    assert (await client.post(SIGN_UP, json=body(email="c@example.com", password="1234"))).status_code == 200


async def test_empty_password_is_a_validation_error(client: httpx.AsyncClient) -> None:
    response = await client.post(SIGN_UP, json=body(password=""))
    assert response.status_code == 400
    assert response.json() == {
        "message": "[body.password] Too small: expected string to have >=1 characters",
        "code": "VALIDATION_ERROR",
    }


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            {"email": "a@example.com", "password": PASSWORD},
            "[body.name] Invalid input: expected string, received undefined",
        ),
        ({"name": "A", "password": PASSWORD}, "[body.email] Invalid input: expected string, received undefined"),
        ({"name": "A", "email": "a@example.com"}, "[body.password] Invalid input: expected string, received undefined"),
        (body(name=5), "[body.name] Invalid input: expected string, received number"),
        (body(name=None), "[body.name] Invalid input: expected string, received null"),
        (body(email=["a@example.com"]), "[body.email] Invalid input: expected string, received array"),
        (body(password={"x": 1}), "[body.password] Invalid input: expected string, received object"),
        (body(image=3), "[body.image] Invalid input: expected string, received number"),
        (body(image=None), "[body.image] Invalid input: expected string, received null"),
        (body(callbackURL=None), "[body.callbackURL] Invalid input: expected string, received null"),
        (body(rememberMe="false"), "[body.rememberMe] Invalid input: expected boolean, received string"),
        (body(rememberMe=0), "[body.rememberMe] Invalid input: expected boolean, received number"),
        (body(rememberMe=None), "[body.rememberMe] Invalid input: expected boolean, received null"),
    ],
)
async def test_validation_messages(client: httpx.AsyncClient, payload: dict[str, Any], message: str) -> None:
    response = await client.post(SIGN_UP, json=payload)
    assert response.status_code == 400
    assert response.json() == {"message": message, "code": "VALIDATION_ERROR"}


async def test_several_issues_are_joined(client: httpx.AsyncClient) -> None:
    response = await client.post(SIGN_UP, json={"email": "x", "password": ""})
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert response.json()["message"].split("; ") == [
        "[body.name] Invalid input: expected string, received undefined",
        "[body.email] Invalid email address",
        "[body.password] Too small: expected string to have >=1 characters",
    ]


async def test_form_encoded_sign_up(client: httpx.AsyncClient) -> None:
    response = await client.post(SIGN_UP, data={"email": "Form@Example.com", "password": PASSWORD, "name": "Form User"})
    assert response.status_code == 200, response.text
    assert response.json()["user"]["email"] == "form@example.com"
    assert response.json()["user"]["name"] == "Form User"
    assert set_cookies(response, SESSION_COOKIE)


async def test_remember_me_false(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    response = await client.post(SIGN_UP, json=body(rememberMe=False))
    assert response.status_code == 200
    token = response.json()["token"]
    assert set_cookies(response) == [
        f"{SESSION_COOKIE}={signed(token)}; Path=/; HttpOnly; SameSite=Lax",
        f"{DONT_REMEMBER_COOKIE}={signed('true')}; Path=/; HttpOnly; SameSite=Lax",
    ]
    row = await session_row(auth, token)
    assert row is not None
    assert close_to(row["expiresAt"], now() + timedelta(days=1))


async def test_remember_me_true_is_the_default(client: httpx.AsyncClient) -> None:
    response = await client.post(SIGN_UP, json=body(rememberMe=True))
    token = response.json()["token"]
    assert set_cookies(response) == [
        f"{SESSION_COOKIE}={signed(token)}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"
    ]


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param({"require_email_verification": True}, id="require-email-verification"),
        pytest.param({"auto_sign_in": False}, id="no-auto-sign-in"),
    ],
)
async def test_sign_up_without_sign_in(make_client: Callable[..., Any], settings: dict[str, Any]) -> None:
    client, auth = await make_client(email_and_password=settings)
    response = await client.post(SIGN_UP, json=body())
    assert response.status_code == 200
    data = response.json()
    assert data["token"] is None
    assert set(data) == {"token", "user"}
    assert set(data["user"]) == USER_KEYS
    assert set_cookies(response) == []
    assert await auth.adapter.count("session") == 0
    assert await auth.adapter.count("user") == 1

    # The duplicate is not revealed: same status and shape, a fresh synthetic user, nothing stored.
    again = await client.post(SIGN_UP, json=body(email="ALICE@example.com", name="Mallory"))
    assert again.status_code == 200
    fake = again.json()
    assert fake["token"] is None
    assert set(fake["user"]) == USER_KEYS
    assert fake["user"]["id"] != data["user"]["id"]
    assert TOKEN_RE.match(fake["user"]["id"])
    assert fake["user"]["email"] == "alice@example.com"
    assert fake["user"]["name"] == "Mallory"
    assert fake["user"]["emailVerified"] is False
    assert ISO_MS.match(fake["user"]["createdAt"])
    assert set_cookies(again) == []
    assert await auth.adapter.count("user") == 1
    stored = await auth.adapter.find_one("user", [Where("email", "alice@example.com")])
    assert stored is not None and stored["name"] == "Alice"


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param({"disable_sign_up": True}, id="disable-sign-up"),
        pytest.param({"enabled": False}, id="email-password-disabled"),
    ],
)
async def test_disabled_sign_up(make_client: Callable[..., Any], settings: dict[str, Any]) -> None:
    client, auth = await make_client(email_and_password=settings)
    response = await client.post(SIGN_UP, json=body())
    assert response.status_code == 400
    assert response.json() == {
        "message": "Email and password sign up is not enabled",
        "code": "EMAIL_PASSWORD_SIGN_UP_DISABLED",
    }
    assert await auth.adapter.count("user") == 0


async def test_core_fields_in_the_body_are_ignored(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    response = await client.post(
        SIGN_UP,
        json=body(
            emailVerified=True,
            id="chosen-by-the-client-000000000000",
            createdAt="1999-01-01T00:00:00.000Z",
            unknownKey={"nested": True},
        ),
    )
    assert response.status_code == 200
    user = response.json()["user"]
    assert user["emailVerified"] is False
    assert user["id"] != "chosen-by-the-client-000000000000"
    assert not user["createdAt"].startswith("1999")
    assert "unknownKey" not in user
    stored = await auth.adapter.find_one("user", [Where("id", user["id"])])
    assert stored is not None and stored["emailVerified"] is False


EXTRA_FIELDS = Plugin(
    id="profile",
    schema=(
        TableSpec(
            "user",
            (FieldSpec("nickname", "string", required=False), FieldSpec("plan", "string", required=False, input=False)),
        ),
    ),
)


@pytest.mark.parametrize("settings", [{"require_email_verification": True}, {"auto_sign_in": False}])
async def test_a_duplicate_sign_up_is_indistinguishable_from_a_new_one(
    make_client: Callable[..., Any], settings: dict[str, Any]
) -> None:
    """Review finding 7: the synthetic user lacked the plugin fields (role, banned...) a real one has."""
    client, _ = await make_client(plugins=[admin(), EXTRA_FIELDS], email_and_password=settings)
    first = await client.post(SIGN_UP, json=body(email="taken@example.com", nickname="al"))
    assert first.status_code == 200, first.text
    fresh = await client.post(SIGN_UP, json=body(email="fresh@example.com", nickname="al"))
    duplicate = await client.post(SIGN_UP, json=body(email="taken@example.com", nickname="al"))
    assert fresh.status_code == duplicate.status_code == 200
    real, fake = fresh.json(), duplicate.json()
    assert list(real) == list(fake) and real["token"] is None and fake["token"] is None
    assert list(real["user"]) == list(fake["user"]), "same fields, in the same order"
    assert {"role", "banned", "banReason", "banExpires", "nickname", "plan"} <= set(fake["user"])
    identity = {"id", "email", "createdAt", "updatedAt"}
    assert {k: v for k, v in real["user"].items() if k not in identity} == {
        k: v for k, v in fake["user"].items() if k not in identity
    }
    assert dict(fresh.headers).keys() == dict(duplicate.headers).keys()
