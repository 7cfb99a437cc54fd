"""delete-user and its emailed confirmation (protocol §1.17), with the application's hooks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from fastapi_betterauth import AuthError, AuthHooks, User, Where
from tests.conftest import ORIGIN, TRUSTED

from .conftest import API, PASSWORD, link_path, query_of, sign_up

pytestmark = pytest.mark.anyio
ENABLED = {"user": {"delete_user": {"enabled": True}}}
BY_MAIL = {"user": {"delete_user": {"enabled": True, "send_verification_email": True}}}
DELETED = {"success": True, "message": "User deleted"}


async def delete(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await client.post(f"{API}/delete-user", json=body, headers=ORIGIN)


async def assert_gone(auth: Any, user_id: str) -> None:
    assert await auth.store.find_user_by_id(user_id) is None
    assert await auth.adapter.find_many("session", [Where("userId", user_id)]) == []
    assert await auth.adapter.find_many("account", [Where("userId", user_id)]) == []


async def test_delete_with_password(make_client: Callable[..., Any]) -> None:
    client, auth = await make_client(**ENABLED)
    user_id = (await sign_up(client)).json()["user"]["id"]
    wrong = await delete(client, password="not-my-password")
    assert (wrong.status_code, wrong.json()["code"]) == (400, "INVALID_PASSWORD")
    response = await delete(client, password=PASSWORD)
    assert (response.status_code, response.json()) == (200, DELETED)
    cookies = response.headers.get_list("set-cookie")
    assert any(c.startswith("better-auth.session_token=; Max-Age=0") for c in cookies)
    await assert_gone(auth, user_id)
    assert (await client.get(f"{API}/get-session")).json() is None


async def test_delete_with_a_fresh_session_only(make_client: Callable[..., Any]) -> None:
    client, auth = await make_client(**ENABLED)
    user_id = (await sign_up(client)).json()["user"]["id"]
    await auth.adapter.update(
        "session",
        [Where("userId", user_id)],
        {"createdAt": (await auth.adapter.find_many("session"))[0]["createdAt"] - timedelta(days=2)},
    )
    stale = await delete(client)
    assert stale.status_code == 400
    assert stale.json() == {
        "message": "Session expired. Re-authenticate to perform this action.",
        "code": "SESSION_EXPIRED",
    }
    client.cookies.clear()
    await client.post(f"{API}/sign-in/email", json={"email": "alice@example.com", "password": PASSWORD})
    assert (await delete(client)).json() == DELETED
    await assert_gone(auth, user_id)


async def test_delete_by_mailed_link(make_mail_client: Callable[..., Any]) -> None:
    client, auth, inbox = await make_mail_client(**BY_MAIL)
    user_id = (await sign_up(client)).json()["user"]["id"]
    response = await delete(client, callbackURL=f"{TRUSTED}/goodbye")
    assert (response.status_code, response.json()) == (200, {"success": True, "message": "Verification email sent"})
    assert await auth.store.find_user_by_id(user_id) is not None
    mail = await inbox.last("delete-account", "alice@example.com")
    token = mail["token"]
    assert len(token) == 32 and token == token.lower() and token.isalnum()
    assert query_of(mail["url"]) == {"token": token, "callbackURL": f"{TRUSTED}/goodbye"}
    row = await auth.adapter.find_one("verification", [Where("identifier", f"delete-account-{token}")])
    assert row is not None and row["value"] == user_id
    assert timedelta(hours=23) < row["expiresAt"] - row["createdAt"] <= timedelta(days=1)

    followed = await client.get(link_path(mail["url"]))
    assert followed.status_code == 302
    assert followed.headers["location"] == f"{TRUSTED}/goodbye"
    await assert_gone(auth, user_id)


async def test_token_in_the_body_and_wrong_tokens(make_mail_client: Callable[..., Any]) -> None:
    client, auth, inbox = await make_mail_client(**BY_MAIL)
    await sign_up(client, email="bob@example.com")
    await delete(client)
    bobs_token = (await inbox.last("delete-account", "bob@example.com"))["token"]
    client.cookies.clear()
    user_id = (await sign_up(client)).json()["user"]["id"]
    stolen = await delete(client, token=bobs_token)
    assert (stolen.status_code, stolen.json()) == (404, {"message": "Invalid token", "code": "INVALID_TOKEN"})
    via_link = await client.get(f"{API}/delete-user/callback", params={"token": "nope"})
    assert (via_link.status_code, via_link.json()["code"]) == (404, "INVALID_TOKEN")
    await delete(client)
    token = (await inbox.last("delete-account", "alice@example.com"))["token"]
    assert (await delete(client, token=token)).json() == DELETED
    await assert_gone(auth, user_id)
    assert await auth.store.find_user_by_email("bob@example.com") is not None


async def test_callback_needs_the_session(make_mail_client: Callable[..., Any]) -> None:
    client, _, inbox = await make_mail_client(**BY_MAIL)
    await sign_up(client)
    await delete(client)
    token = (await inbox.last("delete-account", "alice@example.com"))["token"]
    anonymous = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    response = await anonymous.get(f"{API}/delete-user/callback", params={"token": token})
    assert (response.status_code, response.json()) == (
        404,
        {"message": "Failed to get user info", "code": "FAILED_TO_GET_USER_INFO"},
    )
    await anonymous.aclose()
    plain = await client.get(f"{API}/delete-user/callback", params={"token": token})
    assert (plain.status_code, plain.json()) == (200, DELETED)
    hostile = await client.get(
        f"{API}/delete-user/callback", params={"token": token, "callbackURL": "https://evil.example"}
    )
    assert (hostile.status_code, hostile.json()["code"]) == (403, "INVALID_CALLBACK_URL")


async def test_disabled_is_an_empty_404(make_client: Callable[..., Any]) -> None:
    client, auth = await make_client()
    user_id = (await sign_up(client)).json()["user"]["id"]
    response = await delete(client, password=PASSWORD)
    assert (response.status_code, response.content) == (404, b"")
    callback = await client.get(f"{API}/delete-user/callback", params={"token": "x"})
    assert (callback.status_code, callback.json()) == (404, {"message": "Not found", "code": "NOT_FOUND"})
    assert await auth.store.find_user_by_id(user_id) is not None


async def test_hooks_run_around_the_deletion_and_can_veto(make_client: Callable[..., Any]) -> None:
    calls: list[tuple[str, str, bool]] = []
    auth_ref: list[Any] = []

    async def before(user: User) -> None:
        exists = await auth_ref[0].store.find_user_by_id(user.id) is not None
        calls.append(("before", user.email, exists))
        if user.email == "keep@example.com":
            raise AuthError(400, None, "This account cannot be deleted")

    async def after(user: User) -> None:
        exists = await auth_ref[0].store.find_user_by_id(user.id) is not None
        calls.append(("after", user.email, exists))

    client, auth = await make_client(
        auth_options={"hooks": AuthHooks(before_delete_user=before, after_delete_user=after)}, **ENABLED
    )
    auth_ref.append(auth)
    await sign_up(client)
    assert (await delete(client, password=PASSWORD)).json() == DELETED
    assert calls == [("before", "alice@example.com", True), ("after", "alice@example.com", False)]
    client.cookies.clear()
    keep_id = (await sign_up(client, email="keep@example.com")).json()["user"]["id"]
    vetoed = await delete(client, password=PASSWORD)
    assert (vetoed.status_code, vetoed.json()) == (400, {"message": "This account cannot be deleted"})
    assert await auth.store.find_user_by_id(keep_id) is not None
