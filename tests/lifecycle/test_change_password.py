"""change-password and the server-only set-password (protocol §1.15), on every storage backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from fastapi_betterauth import AuthError, Where
from tests.conftest import BASE_URL, ORIGIN

from .conftest import API, PASSWORD, sign_in, sign_up

pytestmark = pytest.mark.anyio
NEW = "brand-new-password"


async def change(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await client.post(f"{API}/change-password", json=body, headers=ORIGIN)


async def test_change_keeps_sessions_by_default(make_client: Callable[..., Any]) -> None:
    client, auth = await make_client()
    user = (await sign_up(client)).json()["user"]
    other = httpx.AsyncClient(transport=client._transport, base_url=BASE_URL)
    assert (await sign_in(other)).status_code == 200
    response = await change(client, currentPassword=PASSWORD, newPassword=NEW)
    assert response.status_code == 200
    assert response.json()["token"] is None
    assert response.json()["user"]["id"] == user["id"]
    assert "set-cookie" not in response.headers
    assert len(await auth.adapter.find_many("session", [Where("userId", user["id"])])) == 2
    assert (await sign_in(other, password=PASSWORD)).status_code == 401
    assert (await sign_in(other, password=NEW)).status_code == 200
    await other.aclose()


async def test_revoke_other_sessions_issues_a_new_session(make_client: Callable[..., Any]) -> None:
    client, auth = await make_client()
    user = (await sign_up(client)).json()["user"]
    old_token = (await client.get(f"{API}/get-session")).json()["session"]["token"]
    other = httpx.AsyncClient(transport=client._transport, base_url=BASE_URL)
    await sign_in(other)
    response = await change(client, currentPassword=PASSWORD, newPassword=NEW, revokeOtherSessions=True)
    assert response.status_code == 200
    token = response.json()["token"]
    assert token and token != old_token
    assert f"better-auth.session_token={token}." in response.headers["set-cookie"]
    sessions = await auth.adapter.find_many("session", [Where("userId", user["id"])])
    assert [s["token"] for s in sessions] == [token]
    assert (await client.get(f"{API}/get-session")).json()["session"]["token"] == token
    assert (await other.get(f"{API}/get-session")).json() is None
    await other.aclose()


async def test_errors(make_client: Callable[..., Any]) -> None:
    client, auth = await make_client()
    user = (await sign_up(client)).json()["user"]
    wrong = await change(client, currentPassword="not-my-password", newPassword=NEW)
    assert (wrong.status_code, wrong.json()) == (400, {"message": "Invalid password", "code": "INVALID_PASSWORD"})
    short = await change(client, currentPassword=PASSWORD, newPassword="short")
    assert (short.status_code, short.json()["code"]) == (400, "PASSWORD_TOO_SHORT")
    long = await change(client, currentPassword=PASSWORD, newPassword="x" * 129)
    assert (long.status_code, long.json()["code"]) == (400, "PASSWORD_TOO_LONG")
    typed = await change(client, currentPassword=PASSWORD, newPassword=NEW, revokeOtherSessions="yes")
    assert (typed.status_code, typed.json()["code"]) == (400, "VALIDATION_ERROR")
    missing = await change(client, newPassword=NEW)
    assert (missing.status_code, missing.json()["code"]) == (400, "VALIDATION_ERROR")
    await auth.adapter.delete("account", [Where("userId", user["id"])])
    orphan = await change(client, currentPassword=PASSWORD, newPassword=NEW)
    assert orphan.json() == {"message": "Credential account not found", "code": "CREDENTIAL_ACCOUNT_NOT_FOUND"}
    client.cookies.clear()
    anonymous = await change(client, currentPassword=PASSWORD, newPassword=NEW)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "UNAUTHORIZED")


async def test_set_password_is_server_only(make_client: Callable[..., Any]) -> None:
    client, auth = await make_client()
    user = (await sign_up(client)).json()["user"]
    over_http = await client.post(f"{API}/set-password", json={"newPassword": NEW}, headers=ORIGIN)
    assert over_http.status_code == 404
    headers = {"cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())}
    with pytest.raises(AuthError) as already:
        await auth.api.set_password(body={"newPassword": NEW}, headers=headers)
    assert already.value.code is not None and already.value.code.value == "PASSWORD_ALREADY_SET"
    await auth.adapter.delete("account", [Where("userId", user["id"])])
    assert await auth.api.set_password(body={"newPassword": NEW}, headers=headers) == {"status": True}
    assert (await sign_in(client, password=NEW)).status_code == 200
