"""POST /update-user (protocol §1.13)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fastapi_betterauth import BetterAuth, Where
from tests.protocol._helpers import (
    API,
    DONT_REMEMBER_COOKIE,
    SESSION_COOKIE,
    new_user,
    set_cookies,
    sign_in,
    signed,
    with_cookie,
)

pytestmark = pytest.mark.anyio
UPDATE = f"{API}/update-user"
NO_FIELDS = b'{"message":"No fields to update"}'


async def current_user(client: httpx.AsyncClient, cookie: str) -> dict[str, Any]:
    response = await client.get(f"{API}/get-session", headers={"cookie": cookie})
    user: dict[str, Any] = response.json()["user"]
    return user


async def test_update_name_reissues_the_cookie(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    body, cookie = await new_user(client)
    response = await client.post(UPDATE, json={"name": "Alice B"}, headers=with_cookie(cookie))
    assert response.status_code == 200
    assert response.content == b'{"status":true}', "the user is not returned"
    assert set_cookies(response) == [
        f"{SESSION_COOKIE}={signed(body['token'])}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"
    ], "same token, fresh Max-Age"
    user = await current_user(client, cookie)
    assert user["name"] == "Alice B"
    assert user["updatedAt"] >= body["user"]["updatedAt"]
    stored = await auth.adapter.find_one("user", [Where("id", body["user"]["id"])])
    assert stored is not None and stored["name"] == "Alice B"


async def test_update_image_and_clear_it_with_null(client: httpx.AsyncClient) -> None:
    _, cookie = await new_user(client)
    set_image = await client.post(UPDATE, json={"image": "https://img.example/a.png"}, headers=with_cookie(cookie))
    assert set_image.status_code == 200
    assert (await current_user(client, cookie))["image"] == "https://img.example/a.png"
    cleared = await client.post(UPDATE, json={"image": None}, headers=with_cookie(cookie))
    assert cleared.status_code == 200
    assert cleared.json() == {"status": True}
    assert (await current_user(client, cookie))["image"] is None


async def test_empty_name_is_allowed(client: httpx.AsyncClient) -> None:
    _, cookie = await new_user(client)
    response = await client.post(UPDATE, json={"name": ""}, headers=with_cookie(cookie))
    assert response.status_code == 200
    assert (await current_user(client, cookie))["name"] == ""


async def test_email_can_not_be_updated(client: httpx.AsyncClient) -> None:
    _, cookie = await new_user(client)
    for payload in ({"email": "new@example.com"}, {"name": "X", "email": "new@example.com"}):
        response = await client.post(UPDATE, json=payload, headers=with_cookie(cookie))
        assert response.status_code == 400
        assert response.json() == {"message": "Email can not be updated", "code": "EMAIL_CAN_NOT_BE_UPDATED"}
        assert set_cookies(response) == []
    assert (await current_user(client, cookie))["name"] == "Alice"


@pytest.mark.parametrize(
    "payload",
    [{}, {"email": ""}, {"emailVerified": True}, {"id": "x"}, {"createdAt": "2020-01-01T00:00:00.000Z"}, {"foo": 1}],
)
async def test_no_fields_to_update(client: httpx.AsyncClient, payload: dict[str, Any]) -> None:
    _, cookie = await new_user(client)
    response = await client.post(UPDATE, json=payload, headers=with_cookie(cookie))
    assert response.status_code == 400
    assert response.content == NO_FIELDS, "message only, no code"
    assert (await current_user(client, cookie))["emailVerified"] is False


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"name": 5}, "[body.name] Invalid input: expected string, received number"),
        ({"name": None}, "[body.name] Invalid input: expected string, received null"),
        ({"name": ["x"]}, "[body.name] Invalid input: expected string, received array"),
        ({"image": 5}, "[body.image] Invalid input: expected string, received number"),
        ({"image": {"url": "x"}}, "[body.image] Invalid input: expected string, received object"),
    ],
)
async def test_wrong_types_are_validation_errors(
    client: httpx.AsyncClient, payload: dict[str, Any], message: str
) -> None:
    _, cookie = await new_user(client)
    response = await client.post(UPDATE, json=payload, headers=with_cookie(cookie))
    assert response.status_code == 400
    assert response.json() == {"message": message, "code": "VALIDATION_ERROR"}


@pytest.mark.parametrize(("raw", "kind"), [(b"[]", "array"), (b"null", "null"), (b'"x"', "string"), (b"", "undefined")])
async def test_body_must_be_a_record(client: httpx.AsyncClient, raw: bytes, kind: str) -> None:
    _, cookie = await new_user(client)
    response = await client.post(
        UPDATE, content=raw, headers={**with_cookie(cookie), "content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "message": f"[body] Invalid input: expected record, received {kind}",
        "code": "VALIDATION_ERROR",
    }


async def test_anonymous_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post(UPDATE, json={"name": "X"})
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized", "code": "UNAUTHORIZED"}


async def test_origin_is_checked_with_a_cookie(client: httpx.AsyncClient) -> None:
    _, cookie = await new_user(client)
    response = await client.post(UPDATE, json={"name": "X"}, headers={"cookie": cookie})
    assert response.status_code == 403
    assert response.json()["code"] == "MISSING_OR_NULL_ORIGIN"
    assert (await current_user(client, cookie))["name"] == "Alice"


async def test_not_remembered_session_keeps_its_browser_session_cookie(client: httpx.AsyncClient) -> None:
    await new_user(client)
    body, cookie = await sign_in(client, rememberMe=False)
    response = await client.post(UPDATE, json={"name": "B"}, headers=with_cookie(cookie))
    assert response.status_code == 200
    assert set_cookies(response) == [
        f"{SESSION_COOKIE}={signed(body['token'])}; Path=/; HttpOnly; SameSite=Lax",
        f"{DONT_REMEMBER_COOKIE}={signed('true')}; Path=/; HttpOnly; SameSite=Lax",
    ]
