"""POST /sign-out (protocol §1.8)."""

from __future__ import annotations

import httpx
import pytest

from fastapi_betterauth import BetterAuth
from tests.conftest import ORIGIN
from tests.protocol._helpers import API, EXPIRED, new_user, session_cookie, session_row, set_cookies, with_cookie

pytestmark = pytest.mark.anyio
SIGN_OUT = f"{API}/sign-out"


@pytest.mark.parametrize(
    ("kwargs"),
    [
        pytest.param({"json": {}}, id="empty-object"),
        pytest.param({}, id="no-body"),
        pytest.param({"content": b"{}"}, id="body-without-content-type"),
    ],
)
async def test_sign_out_without_cookie_always_succeeds(client: httpx.AsyncClient, kwargs: dict[str, object]) -> None:
    response = await client.post(SIGN_OUT, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200
    assert response.content == b'{"success":true}'
    assert set_cookies(response) == EXPIRED


async def test_sign_out_deletes_the_session(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    body, cookie = await new_user(client)
    response = await client.post(SIGN_OUT, json={}, headers=with_cookie(cookie))
    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert set_cookies(response) == EXPIRED
    assert await session_row(auth, body["token"]) is None
    after = await client.get(f"{API}/get-session", headers={"cookie": cookie})
    assert after.json() is None


async def test_sign_out_only_deletes_the_callers_session(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    first, cookie = await new_user(client)
    second = await client.post(f"{API}/sign-in/email", json={"email": "alice@example.com", "password": "password123"})
    client.cookies.clear()
    await client.post(SIGN_OUT, json={}, headers=with_cookie(cookie))
    assert await session_row(auth, first["token"]) is None
    assert await session_row(auth, second.json()["token"]) is not None


async def test_sign_out_with_cookie_needs_an_origin(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    body, cookie = await new_user(client)
    response = await client.post(SIGN_OUT, json={}, headers={"cookie": cookie})
    assert response.status_code == 403
    assert response.json() == {"message": "Missing or null Origin", "code": "MISSING_OR_NULL_ORIGIN"}
    assert set_cookies(response) == []
    assert await session_row(auth, body["token"]) is not None, "nothing was signed out"

    untrusted = await client.post(SIGN_OUT, json={}, headers={"cookie": cookie, "origin": "https://evil.example"})
    assert untrusted.status_code == 403
    assert untrusted.json() == {"message": "Invalid origin", "code": "INVALID_ORIGIN"}
    assert await session_row(auth, body["token"]) is not None


async def test_sign_out_with_a_dead_or_garbage_cookie(client: httpx.AsyncClient) -> None:
    for cookie in (session_cookie("Q" * 32), "better-auth.session_token=garbage", "unrelated=1"):
        response = await client.post(SIGN_OUT, json={}, headers=with_cookie(cookie))
        assert response.status_code == 200
        assert set_cookies(response) == EXPIRED


async def test_sign_out_body_must_be_an_object(client: httpx.AsyncClient) -> None:
    for raw, kind in ((b"null", "null"), (b"[]", "array"), (b'"x"', "string"), (b"1", "number")):
        response = await client.post(SIGN_OUT, content=raw, headers={**ORIGIN, "content-type": "application/json"})
        assert response.status_code == 400, raw
        assert response.json() == {
            "message": f"[body] Invalid input: expected object, received {kind}",
            "code": "VALIDATION_ERROR",
        }


async def test_sign_out_body_field_types(client: httpx.AsyncClient) -> None:
    for field, value, message in (
        ("disableRedirect", "true", "[body.disableRedirect] Invalid input: expected boolean, received string"),
        ("disableRedirect", 1, "[body.disableRedirect] Invalid input: expected boolean, received number"),
        ("state", None, "[body.state] Invalid input: expected string, received null"),
        ("state", 5, "[body.state] Invalid input: expected string, received number"),
    ):
        response = await client.post(SIGN_OUT, json={field: value})
        assert response.status_code == 400, (field, value)
        assert response.json() == {"message": message, "code": "VALIDATION_ERROR"}
