"""Password reset end to end over HTTP (protocol §1.18-§1.20, §7.3), on every storage backend."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from fastapi_betterauth import AuthHooks, User, Where
from tests.conftest import BASE_URL, ORIGIN, TRUSTED

from .conftest import API, PASSWORD, link_path, sign_in, sign_up

pytestmark = pytest.mark.anyio
GENERIC = {"status": True, "message": "If this email exists in our system, check your email for the reset link"}
NEW_PASSWORD = "new-password-456"


async def request_reset(client: Any, email: str = "alice@example.com", **extra: Any) -> Any:
    return await client.post(f"{API}/request-password-reset", json={"email": email, **extra})


async def test_full_reset_flow_from_the_mailed_link(make_mail_client: Callable[..., Any]) -> None:
    client, auth, inbox = await make_mail_client()
    user_id = (await sign_up(client)).json()["user"]["id"]
    response = await request_reset(client, redirectTo=f"{TRUSTED}/reset")
    assert (response.status_code, response.json()) == (200, GENERIC)
    mail = await inbox.last("reset-password", "alice@example.com")
    token = mail["token"]
    assert len(token) == 24 and token.isalnum()
    assert mail["url"] == f"{BASE_URL}{API}/reset-password/{token}?callbackURL=http%3A%2F%2Flocalhost%3A3000%2Freset"
    row = await auth.adapter.find_one("verification", [Where("identifier", f"reset-password:{token}")])
    assert row is not None and row["value"] == user_id
    assert timedelta(minutes=59) < row["expiresAt"] - row["createdAt"] <= timedelta(hours=1)

    followed = await client.get(link_path(mail["url"]))
    assert followed.status_code == 302
    assert followed.headers["location"] == f"{TRUSTED}/reset?token={token}"

    done = await client.post(f"{API}/reset-password", json={"newPassword": NEW_PASSWORD, "token": token})
    assert (done.status_code, done.json()) == (200, {"status": True})
    assert (await sign_in(client, password=PASSWORD)).status_code == 401
    assert (await sign_in(client, password=NEW_PASSWORD)).status_code == 200

    again = await client.post(f"{API}/reset-password", json={"newPassword": "another-pass-789", "token": token})
    assert (again.status_code, again.json()) == (400, {"message": "Invalid token", "code": "INVALID_TOKEN"})
    stale = await client.get(link_path(mail["url"]))
    assert stale.headers["location"] == f"{TRUSTED}/reset?error=INVALID_TOKEN"


async def test_unknown_email_gets_the_same_answer_and_no_mail(make_mail_client: Callable[..., Any]) -> None:
    client, auth, inbox = await make_mail_client()
    await sign_up(client)
    known = await request_reset(client)
    unknown = await request_reset(client, email="nobody@example.com")
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json()) == (200, GENERIC)
    assert await inbox.count("reset-password") == 1
    assert len(await auth.adapter.find_many("verification")) == 1


async def test_token_in_query_and_sessions_kept_by_default(make_mail_client: Callable[..., Any]) -> None:
    client, _, inbox = await make_mail_client()
    await sign_up(client)
    await request_reset(client)
    token = (await inbox.last("reset-password", "alice@example.com"))["token"]
    done = await client.post(f"{API}/reset-password", params={"token": token}, json={"newPassword": NEW_PASSWORD})
    assert done.status_code == 200
    assert (await client.get(f"{API}/get-session")).json() is not None


async def test_sessions_revoked_when_configured(make_mail_client: Callable[..., Any]) -> None:
    client, auth, inbox = await make_mail_client(email_and_password={"revoke_sessions_on_password_reset": True})
    user_id = (await sign_up(client)).json()["user"]["id"]
    await request_reset(client)
    token = (await inbox.last("reset-password", "alice@example.com"))["token"]
    assert (
        await client.post(f"{API}/reset-password", json={"newPassword": NEW_PASSWORD, "token": token})
    ).status_code == 200
    assert await auth.adapter.find_many("session", [Where("userId", user_id)]) == []
    assert (await client.get(f"{API}/get-session")).json() is None


async def test_reset_creates_a_credential_account_when_missing(make_mail_client: Callable[..., Any]) -> None:
    client, auth, inbox = await make_mail_client()
    user_id = (await sign_up(client)).json()["user"]["id"]
    await auth.adapter.delete("account", [Where("userId", user_id)])
    await request_reset(client)
    token = (await inbox.last("reset-password", "alice@example.com"))["token"]
    assert (
        await client.post(f"{API}/reset-password", json={"newPassword": NEW_PASSWORD, "token": token})
    ).status_code == 200
    account = await auth.store.find_credential_account(user_id)
    assert account is not None and account["accountId"] == user_id
    assert (await sign_in(client, password=NEW_PASSWORD)).status_code == 200


async def test_errors(make_mail_client: Callable[..., Any]) -> None:
    client, auth, inbox = await make_mail_client()
    await sign_up(client)
    no_token = await client.post(f"{API}/reset-password", json={"newPassword": NEW_PASSWORD})
    assert (no_token.status_code, no_token.json()["code"]) == (400, "INVALID_TOKEN")
    unknown = await client.post(f"{API}/reset-password", json={"newPassword": NEW_PASSWORD, "token": "nope"})
    assert (unknown.status_code, unknown.json()["code"]) == (400, "INVALID_TOKEN")
    short = await client.post(f"{API}/reset-password", json={"newPassword": "short", "token": "nope"})
    assert (short.status_code, short.json()["code"]) == (400, "PASSWORD_TOO_SHORT")
    long = await client.post(f"{API}/reset-password", json={"newPassword": "x" * 129, "token": "nope"})
    assert (long.status_code, long.json()["code"]) == (400, "PASSWORD_TOO_LONG")
    bad_email = await request_reset(client, email="not-an-email")
    assert (bad_email.status_code, bad_email.json()["code"]) == (400, "VALIDATION_ERROR")
    hostile = await request_reset(client, redirectTo="https://evil.example/steal")
    assert hostile.status_code == 403
    assert hostile.json() == {"message": "Invalid redirectURL", "code": "INVALID_REDIRECT_URL"}
    assert await inbox.count() == 0

    await request_reset(client)
    token = (await inbox.last("reset-password", "alice@example.com"))["token"]
    user = await auth.store.find_user_by_email("alice@example.com")
    assert user is not None
    await auth.store.delete_user(user["id"])
    gone = await client.post(f"{API}/reset-password", json={"newPassword": NEW_PASSWORD, "token": token})
    assert (gone.status_code, gone.json()["code"]) == (400, "USER_NOT_FOUND")


async def test_expired_token(make_mail_client: Callable[..., Any]) -> None:
    client, auth, inbox = await make_mail_client()
    await sign_up(client)
    await request_reset(client, redirectTo="/reset")
    mail = await inbox.last("reset-password", "alice@example.com")
    token = mail["token"]
    await auth.adapter.update(
        "verification",
        [Where("identifier", f"reset-password:{token}")],
        {"expiresAt": (await auth.adapter.find_many("verification"))[0]["createdAt"] - timedelta(seconds=1)},
    )
    followed = await client.get(link_path(mail["url"]))
    assert followed.headers["location"] == f"{BASE_URL}/reset?error=INVALID_TOKEN"
    late = await client.post(f"{API}/reset-password", json={"newPassword": NEW_PASSWORD, "token": token})
    assert (late.status_code, late.json()["code"]) == (400, "INVALID_TOKEN")


async def test_reset_link_callback_rules(make_mail_client: Callable[..., Any]) -> None:
    client, _, inbox = await make_mail_client()
    await sign_up(client)
    await request_reset(client)
    mail = await inbox.last("reset-password", "alice@example.com")
    assert mail["url"].endswith("?callbackURL=")
    token = mail["token"]
    empty = await client.get(link_path(mail["url"]))
    assert (empty.status_code, empty.headers["location"]) == (302, f"{BASE_URL}{API}/error?error=INVALID_TOKEN")
    missing = await client.get(f"{API}/reset-password/{token}")
    assert missing.status_code == 400
    assert missing.json() == {
        "message": "[query.callbackURL] Invalid input: expected string, received undefined",
        "code": "VALIDATION_ERROR",
    }
    hostile = await client.get(f"{API}/reset-password/{token}", params={"callbackURL": "https://evil.example"})
    assert (hostile.status_code, hostile.json()["code"]) == (403, "INVALID_CALLBACK_URL")
    kept = await client.get(f"{API}/reset-password/{token}", params={"callbackURL": "/reset?step=2&token=old"})
    assert kept.headers["location"] == f"{BASE_URL}/reset?step=2&token={token}"
    bogus = await client.get(f"{API}/reset-password/bogus", params={"callbackURL": "/reset"})
    assert bogus.headers["location"] == f"{BASE_URL}/reset?error=INVALID_TOKEN"
    nul = await client.get(f"{API}/reset-password/a%00b", params={"callbackURL": "/reset"})  # PostgreSQL refuses NUL
    assert (nul.status_code, nul.headers["location"]) == (302, f"{BASE_URL}/reset?error=INVALID_TOKEN")


async def test_on_password_reset_hook(make_mail_client: Callable[..., Any]) -> None:
    seen: list[str] = []

    async def hook(user: User) -> None:
        seen.append(user.email)

    client, _, inbox = await make_mail_client(auth_options={"hooks": AuthHooks(on_password_reset=hook)})
    await sign_up(client)
    await request_reset(client)
    token = (await inbox.last("reset-password", "alice@example.com"))["token"]
    await client.post(f"{API}/reset-password", json={"newPassword": NEW_PASSWORD, "token": token})
    assert seen == ["alice@example.com"]


async def test_disabled_without_a_sender(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client()
    response = await client.post(f"{API}/request-password-reset", json={"email": "a@example.com"}, headers=ORIGIN)
    assert response.status_code == 400
    assert response.json() == {"message": "Reset password isn't enabled", "code": "RESET_PASSWORD_DISABLED"}


async def test_concurrent_resets_spend_the_token_once(make_mail_client: Callable[..., Any]) -> None:
    import asyncio

    client, _, inbox = await make_mail_client()
    await sign_up(client)
    await request_reset(client)
    token = (await inbox.last("reset-password", "alice@example.com"))["token"]
    answers = await asyncio.gather(
        *(
            client.post(f"{API}/reset-password", json={"newPassword": f"password-{i:04d}", "token": token})
            for i in range(8)
        )
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(200) == 1, [a.text for a in answers]
    assert all(a.json()["code"] == "INVALID_TOKEN" for a in answers if a.status_code != 200)
