"""Unknown-account paths answer the same and do the same expensive work as known-account paths.

Work is counted at the password hasher (the only operation slow enough to time from outside); the
mailer runs in the background, so whether a mail was sent cannot show in the response time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import FastTestHasher

from .conftest import API, PASSWORD, sign_up

pytestmark = pytest.mark.anyio


class CountingHasher(FastTestHasher):
    """Counts every hash and verification (the burn for unknown users included)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def hash(self, password: str) -> str:
        self.calls += 1
        return super().hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        self.calls += 1
        return password_hash == FastTestHasher.hash(self, password)  # not self.hash: one call is one unit


async def work(hasher: CountingHasher, call: Callable[[], Any]) -> tuple[int, Any]:
    before = hasher.calls
    response = await call()
    return hasher.calls - before, (response.status_code, response.json())


async def test_sign_in_costs_the_same_for_unknown_and_wrong_password(make_mail_client: Callable[..., Any]) -> None:
    hasher = CountingHasher()
    client, _, _ = await make_mail_client(hasher=hasher)
    await sign_up(client)
    client.cookies.clear()
    hasher.hash("warm up the dummy hash")
    await client.post(f"{API}/sign-in/email", json={"email": "nobody@example.com", "password": PASSWORD})

    def attempt(email: str, password: str) -> Callable[[], Any]:
        return lambda: client.post(f"{API}/sign-in/email", json={"email": email, "password": password})

    unknown = await work(hasher, attempt("nobody@example.com", PASSWORD))
    wrong = await work(hasher, attempt("alice@example.com", "not-the-password"))
    assert unknown == wrong == (1, (401, {"message": "Invalid email or password", "code": "INVALID_EMAIL_OR_PASSWORD"}))


async def test_duplicate_sign_up_costs_a_hash_like_a_new_one(make_mail_client: Callable[..., Any]) -> None:
    hasher = CountingHasher()
    client, _, _ = await make_mail_client(hasher=hasher, email_and_password={"require_email_verification": True})

    def attempt() -> Any:
        body = {"email": "alice@example.com", "password": PASSWORD, "name": "Alice"}
        return client.post(f"{API}/sign-up/email", json=body)

    new_cost, new = await work(hasher, attempt)
    dup_cost, dup = await work(hasher, attempt)
    assert new_cost == dup_cost == 1
    assert new[0] == dup[0] == 200
    assert new[1].keys() == dup[1].keys() and new[1]["user"].keys() == dup[1]["user"].keys()


async def test_reset_request_costs_and_answers_the_same(make_mail_client: Callable[..., Any]) -> None:
    hasher = CountingHasher()
    client, _, inbox = await make_mail_client(hasher=hasher)
    await sign_up(client)

    def attempt(email: str) -> Callable[[], Any]:
        return lambda: client.post(f"{API}/request-password-reset", json={"email": email})

    assert await work(hasher, attempt("alice@example.com")) == await work(hasher, attempt("nobody@example.com"))
    assert await inbox.count("reset-password") == 1


async def test_mail_delivery_never_holds_up_the_answer(make_mail_client: Callable[..., Any]) -> None:
    """A sender that takes a long time does not delay the response (it is awaited only by flush)."""
    import asyncio
    import time

    from fastapi_betterauth import EmailMessage

    release = asyncio.Event()
    delivered: list[str] = []

    class SlowSender:
        async def send(self, message: EmailMessage) -> None:
            await release.wait()
            delivered.append(message.to)

    client, auth, _ = await make_mail_client(auth_options={"email_sender": SlowSender()})
    await sign_up(client)
    started = time.monotonic()
    response = await client.post(f"{API}/request-password-reset", json={"email": "alice@example.com"})
    assert response.status_code == 200 and time.monotonic() - started < 1
    assert delivered == [] and auth.mailer.pending == 1
    release.set()
    await auth.mailer.flush()
    assert delivered == ["alice@example.com"]
