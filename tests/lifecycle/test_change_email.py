"""change-email in each of Better Auth's flows (protocol §1.16, §7.2), on every storage backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from fastapi_betterauth.crypto.email_tokens import verify_email_token
from tests.conftest import ORIGIN, SECRET

from .conftest import API, link_path, query_of, sign_in, sign_up

pytestmark = pytest.mark.anyio
ENABLED = {"user": {"change_email": {"enabled": True}}}


async def change(client: httpx.AsyncClient, new_email: str, **extra: Any) -> httpx.Response:
    return await client.post(f"{API}/change-email", json={"newEmail": new_email, **extra}, headers=ORIGIN)


async def verify(client: httpx.AsyncClient, auth: Any, inbox: Any, email: str) -> None:
    mail = await inbox.last("verification", email)
    assert (await client.get(link_path(mail["url"]))).status_code == 302


async def test_unverified_user_gets_a_link_to_the_new_address(make_mail_client: Callable[..., Any]) -> None:
    client, auth, inbox = await make_mail_client(**ENABLED)
    user_id = (await sign_up(client)).json()["user"]["id"]
    response = await change(client, "Alice.New@Example.com", callbackURL="/settings")
    assert (response.status_code, response.json()) == (200, {"status": True})
    mail = await inbox.last("change-email-verification", "alice.new@example.com")
    claims = verify_email_token(mail["token"], [SECRET])
    assert {k: claims[k] for k in ("email", "updateTo", "requestType", "userId")} == {
        "email": "alice@example.com",
        "updateTo": "alice.new@example.com",
        "requestType": "change-email-verification",
        "userId": user_id,
    }
    assert query_of(mail["url"])["callbackURL"] == "/settings"
    assert (await auth.store.find_user_by_id(user_id))["email"] == "alice@example.com"
    done = await client.get(f"{API}/verify-email", params={"token": mail["token"]})
    assert done.status_code == 200
    body = done.json()
    assert body["status"] is True
    assert body["user"]["email"] == "alice.new@example.com"
    assert body["user"]["emailVerified"] is False  # keeps the previous value (protocol §7.2)
    assert "better-auth.session_token=" in done.headers["set-cookie"]
    assert (await sign_in(client, "alice.new@example.com")).status_code == 200


async def test_verified_user_stays_verified(make_mail_client: Callable[..., Any]) -> None:
    client, auth, inbox = await make_mail_client(**ENABLED)
    user_id = (await sign_up(client)).json()["user"]["id"]
    await auth.store.update_user(user_id, {"emailVerified": True})
    await change(client, "alice2@example.com")
    mail = await inbox.last("change-email-verification", "alice2@example.com")
    done = await client.get(link_path(mail["url"]))
    assert done.status_code == 302
    user = await auth.store.find_user_by_id(user_id)
    assert (user["email"], user["emailVerified"]) == ("alice2@example.com", True)


async def test_confirmation_from_the_current_address_first(make_mail_client: Callable[..., Any]) -> None:
    client, auth, inbox = await make_mail_client(
        user={"change_email": {"enabled": True, "send_confirmation_to_current_email": True}}
    )
    user_id = (await sign_up(client)).json()["user"]["id"]
    await auth.store.update_user(user_id, {"emailVerified": True})
    await change(client, "alice2@example.com")
    confirmation = await inbox.last("change-email-confirmation", "alice@example.com")
    assert verify_email_token(confirmation["token"], [SECRET])["requestType"] == "change-email-confirmation"
    assert await inbox.count(to="alice2@example.com") == 0
    confirmed = await client.get(f"{API}/verify-email", params={"token": confirmation["token"]})
    assert (confirmed.status_code, confirmed.json()) == (200, {"status": True})
    assert (await auth.store.find_user_by_id(user_id))["email"] == "alice@example.com"
    verification = await inbox.last("change-email-verification", "alice2@example.com")
    await client.get(f"{API}/verify-email", params={"token": verification["token"]})
    assert (await auth.store.find_user_by_id(user_id))["email"] == "alice2@example.com"


async def test_update_without_verification(make_mail_client: Callable[..., Any]) -> None:
    client, auth, inbox = await make_mail_client(
        user={"change_email": {"enabled": True, "update_email_without_verification": True}}
    )
    user_id = (await sign_up(client)).json()["user"]["id"]
    response = await change(client, "alice2@example.com")
    assert response.status_code == 200
    assert "better-auth.session_token=" in response.headers["set-cookie"]
    assert (await auth.store.find_user_by_id(user_id))["email"] == "alice2@example.com"
    mail = await inbox.last("verification", "alice2@example.com")
    assert verify_email_token(mail["token"], [SECRET])["email"] == "alice2@example.com"
    await verify(client, auth, inbox, "alice2@example.com")
    assert (await auth.store.find_user_by_id(user_id))["emailVerified"] is True


async def test_taken_address_answers_the_same_and_sends_nothing(make_mail_client: Callable[..., Any]) -> None:
    client, _, inbox = await make_mail_client(**ENABLED)
    await sign_up(client, email="bob@example.com")
    client.cookies.clear()
    await sign_up(client)
    taken = await change(client, "bob@example.com")
    free = await change(client, "carol@example.com")
    assert (taken.status_code, taken.json()) == (free.status_code, free.json()) == (200, {"status": True})
    assert await inbox.count(to="bob@example.com") == 0
    assert await inbox.count(to="carol@example.com") == 1


async def test_errors(make_mail_client: Callable[..., Any], make_client: Callable[..., Any]) -> None:
    disabled, _, _ = await make_mail_client()
    await sign_up(disabled)
    off = await change(disabled, "x@example.com")
    assert off.json() == {"message": "Change email is disabled", "code": "CHANGE_EMAIL_DISABLED"}

    client, _, _ = await make_mail_client(**ENABLED)  # on PostgreSQL every client of a test shares one database
    await sign_up(client, email="bob@example.com")
    same = await change(client, "BOB@example.com")
    assert (same.status_code, same.json()) == (400, {"message": "Email is the same"})
    invalid = await change(client, "not-an-email")
    assert (invalid.status_code, invalid.json()["code"]) == (400, "VALIDATION_ERROR")
    hostile = await change(client, "x@example.com", callbackURL="https://evil.example")
    assert (hostile.status_code, hostile.json()["code"]) == (403, "INVALID_CALLBACK_URL")

    no_mail, _ = await make_client(**ENABLED)
    await sign_up(no_mail, email="carol@example.com")
    nothing = await change(no_mail, "x@example.com")
    assert (nothing.status_code, nothing.json()) == (400, {"message": "Verification email isn't enabled"})


async def test_link_for_another_signed_in_user_is_refused(make_mail_client: Callable[..., Any]) -> None:
    client, auth, inbox = await make_mail_client(**ENABLED)
    await sign_up(client)
    await change(client, "alice2@example.com")
    token = (await inbox.last("change-email-verification", "alice2@example.com"))["token"]
    client.cookies.clear()
    await sign_up(client, email="mallory@example.com")
    refused = await client.get(f"{API}/verify-email", params={"token": token})
    assert (refused.status_code, refused.json()["code"]) == (401, "INVALID_USER")
    assert await auth.store.find_user_by_email("alice2@example.com") is None
