"""Email verification end to end over HTTP (protocol §1.22, §1.23, §7.1), on every storage backend."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from fastapi_betterauth import AuthHooks, User
from fastapi_betterauth.crypto.email_tokens import create_email_token, verify_email_token
from tests.conftest import BASE_URL, ORIGIN, SECRET

from .conftest import API, link_path, query_of, sign_in, sign_up

pytestmark = pytest.mark.anyio
REQUIRE = {"email_and_password": {"require_email_verification": True}}


async def test_sign_up_mails_a_link_that_verifies_and_unlocks_sign_in(make_mail_client: Callable[..., Any]) -> None:
    client, auth, inbox = await make_mail_client(**REQUIRE)
    response = await sign_up(client, callbackURL="/welcome")
    assert response.json()["token"] is None
    assert "set-cookie" not in response.headers
    mail = await inbox.last("verification", "alice@example.com")
    assert mail["url"].startswith(f"{BASE_URL}{API}/verify-email?token=")
    assert query_of(mail["url"]) == {"token": mail["token"], "callbackURL": "/welcome"}
    assert mail["url"].endswith("&callbackURL=%2Fwelcome")
    claims = verify_email_token(mail["token"], [SECRET])
    assert claims["email"] == "alice@example.com"
    assert claims["userId"] == response.json()["user"]["id"]
    assert claims["exp"] - claims["iat"] == 3600

    refused = await sign_in(client)
    assert refused.status_code == 403
    assert refused.json() == {"message": "Email not verified", "code": "EMAIL_NOT_VERIFIED"}

    followed = await client.get(link_path(mail["url"]))
    assert followed.status_code == 302
    assert followed.headers["location"] == "/welcome"
    user = await auth.store.find_user_by_email("alice@example.com")
    assert user is not None and user["emailVerified"] is True
    assert (await sign_in(client)).status_code == 200


async def test_json_answers_without_callback_and_replays_are_harmless(make_mail_client: Callable[..., Any]) -> None:
    client, _, inbox = await make_mail_client(**REQUIRE)
    await sign_up(client)
    token = (await inbox.last("verification", "alice@example.com"))["token"]
    first = await client.get(f"{API}/verify-email", params={"token": token})
    assert (first.status_code, first.json()) == (200, {"status": True, "user": None})
    again = await client.get(f"{API}/verify-email", params={"token": token})
    assert (again.status_code, again.json()) == (200, {"status": True, "user": None})


@pytest.mark.parametrize(
    ("make_token", "code"),
    [
        (lambda uid: "garbage", "INVALID_TOKEN"),
        (
            lambda uid: create_email_token(
                "another-secret-0123456789abcdef0123", "alice@example.com", extra={"userId": uid}
            ),
            "INVALID_TOKEN",
        ),
        (
            lambda uid: create_email_token(
                SECRET, "alice@example.com", extra={"userId": uid}, now=int(time.time()) - 7200
            ),
            "TOKEN_EXPIRED",
        ),
        (lambda uid: create_email_token(SECRET, "nobody@example.com", extra={"userId": uid}), "USER_NOT_FOUND"),
        (
            lambda uid: create_email_token(SECRET, "alice@example.com", extra={"userId": "someone-else"}),
            "INVALID_TOKEN",
        ),
    ],
    ids=["garbage", "wrong-secret", "expired", "unknown-user", "other-user-id"],
)
async def test_bad_tokens_answer_401_or_redirect_with_the_code(
    make_mail_client: Callable[..., Any], make_token: Callable[[str], str], code: str
) -> None:
    client, auth, _ = await make_mail_client(**REQUIRE)
    uid = (await sign_up(client)).json()["user"]["id"]
    token = make_token(uid)
    plain = await client.get(f"{API}/verify-email", params={"token": token})
    assert plain.status_code == 401
    assert plain.json()["code"] == code
    redirected = await client.get(f"{API}/verify-email", params={"token": token, "callbackURL": "/done?a=1"})
    assert redirected.status_code == 302
    assert redirected.headers["location"] == f"/done?a=1&error={code}"
    user = await auth.store.find_user_by_email("alice@example.com")
    assert user is not None and user["emailVerified"] is False


async def test_query_is_validated(make_mail_client: Callable[..., Any]) -> None:
    client, _, _ = await make_mail_client()
    missing = await client.get(f"{API}/verify-email")
    assert missing.status_code == 400
    assert missing.json()["code"] == "VALIDATION_ERROR"
    hostile = await client.get(f"{API}/verify-email", params={"token": "x", "callbackURL": "https://evil.example/"})
    assert hostile.status_code == 403
    assert hostile.json() == {"message": "Invalid callbackURL", "code": "INVALID_CALLBACK_URL"}


async def test_auto_sign_in_after_verification(make_mail_client: Callable[..., Any]) -> None:
    client, _, inbox = await make_mail_client(email_verification={"auto_sign_in_after_verification": True}, **REQUIRE)
    await sign_up(client)
    token = (await inbox.last("verification", "alice@example.com"))["token"]
    response = await client.get(f"{API}/verify-email", params={"token": token})
    assert response.status_code == 200
    assert "better-auth.session_token=" in response.headers["set-cookie"]
    session = (await client.get(f"{API}/get-session")).json()
    assert session["user"]["email"] == "alice@example.com"
    assert session["user"]["emailVerified"] is True


async def test_hooks_run_around_verification(make_mail_client: Callable[..., Any]) -> None:
    seen: list[tuple[str, bool]] = []

    async def before(user: User) -> None:
        seen.append(("before", user.email_verified))

    def after(user: User) -> None:
        seen.append(("after", user.email_verified))

    client, _, inbox = await make_mail_client(
        auth_options={"hooks": AuthHooks(before_email_verification=before, after_email_verification=after)}, **REQUIRE
    )
    await sign_up(client)
    token = (await inbox.last("verification", "alice@example.com"))["token"]
    await client.get(f"{API}/verify-email", params={"token": token})
    assert seen == [("before", False), ("after", True)]


async def test_anonymous_resend_never_reveals_whether_the_account_exists(make_mail_client: Callable[..., Any]) -> None:
    client, _, inbox = await make_mail_client(**REQUIRE)
    await sign_up(client)
    before = await inbox.count("verification")
    answers = []
    for email in ("alice@example.com", "nobody@example.com"):
        started = time.monotonic()
        response = await client.post(f"{API}/send-verification-email", json={"email": email})
        answers.append((response.status_code, response.json(), time.monotonic() - started >= 0.5))
    assert answers[0] == answers[1] == (200, {"status": True}, True)
    assert await inbox.count("verification") == before + 1
    assert await inbox.count("verification", "nobody@example.com") == 0


async def test_resend_with_a_session_checks_the_address(make_mail_client: Callable[..., Any]) -> None:
    client, _, inbox = await make_mail_client()
    await sign_up(client)
    assert await inbox.count() == 0  # send_on_sign_up defaults to require_email_verification (off)
    mismatch = await client.post(f"{API}/send-verification-email", json={"email": "bob@example.com"}, headers=ORIGIN)
    assert (mismatch.status_code, mismatch.json()["code"]) == (400, "EMAIL_MISMATCH")
    sent = await client.post(
        f"{API}/send-verification-email", json={"email": "ALICE@example.com", "callbackURL": "/v"}, headers=ORIGIN
    )
    assert (sent.status_code, sent.json()) == (200, {"status": True})
    mail = await inbox.last("verification", "alice@example.com")
    assert query_of(mail["url"])["callbackURL"] == "/v"
    await client.get(link_path(mail["url"]))
    done = await client.post(f"{API}/send-verification-email", json={"email": "alice@example.com"}, headers=ORIGIN)
    assert (done.status_code, done.json()["code"]) == (400, "EMAIL_ALREADY_VERIFIED")
    hostile = await client.post(
        f"{API}/send-verification-email", json={"email": "alice@example.com", "callbackURL": "https://evil.example"}
    )
    assert (hostile.status_code, hostile.json()["code"]) == (403, "INVALID_CALLBACK_URL")


async def test_send_on_sign_in_mails_a_fresh_link(make_mail_client: Callable[..., Any]) -> None:
    client, _, inbox = await make_mail_client(
        email_verification={"send_on_sign_up": False, "send_on_sign_in": True}, **REQUIRE
    )
    await sign_up(client)
    assert await inbox.count() == 0
    assert (await sign_in(client)).status_code == 403
    assert await inbox.count("verification", "alice@example.com") == 1
    assert (await sign_in(client, password="wrong-password")).status_code == 401
    assert await inbox.count("verification", "alice@example.com") == 1


async def test_without_a_sender_verification_is_disabled(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(**REQUIRE)
    await sign_up(client)
    response = await client.post(f"{API}/send-verification-email", json={"email": "alice@example.com"})
    assert response.status_code == 400
    assert response.json() == {"message": "Verification email isn't enabled", "code": "VERIFICATION_EMAIL_NOT_ENABLED"}
    assert (await sign_in(client)).status_code == 403


async def test_duplicate_sign_up_is_indistinguishable_and_mails_nobody(make_mail_client: Callable[..., Any]) -> None:
    client, _, inbox = await make_mail_client(**REQUIRE)
    first = (await sign_up(client)).json()
    second = (await sign_up(client)).json()
    assert set(first) == set(second) == {"token", "user"}
    assert set(first["user"]) == set(second["user"])
    assert second["token"] is None and second["user"]["id"] != first["user"]["id"]
    assert await inbox.count("verification", "alice@example.com") == 1
