"""A world with mail: every test reads its links from a file outbox, the way a user reads email."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from fastapi_betterauth import BetterAuth
from fastapi_betterauth.email import FileOutboxSender
from tests.conftest import ORIGIN

API = "/api/auth"
PASSWORD = "password123"


class Inbox:
    """The outbox file, read after the mailer has delivered everything pending."""

    def __init__(self, auth: BetterAuth, sender: FileOutboxSender) -> None:
        self.auth = auth
        self.sender = sender

    async def all(self) -> list[dict[str, Any]]:
        await self.auth.mailer.flush()
        return self.sender.messages()

    async def last(self, kind: str, to: str) -> dict[str, Any]:
        """The newest mail of ``kind`` to ``to``; fails the test when there is none."""
        matching = [m for m in await self.all() if m["kind"] == kind and m["to"] == to]
        assert matching, f"no {kind} mail to {to}: {await self.all()}"
        return matching[-1]

    async def count(self, kind: str | None = None, to: str | None = None) -> int:
        return sum(1 for m in await self.all() if (kind is None or m["kind"] == kind) and (to is None or m["to"] == to))


def link_path(url: str) -> str:
    """A mailed absolute link as a path+query the test client can request."""
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


@pytest.fixture
def make_client(make_client: Callable[..., Any]) -> Callable[..., Any]:
    """The root ``make_client``, with a client that sends the trusted ``Origin`` like a browser app would."""

    async def make(**kwargs: Any) -> Any:
        client, auth = await make_client(**kwargs)
        client.headers.update(ORIGIN)
        return client, auth

    return make


@pytest.fixture
def make_mail_client(make_client: Callable[..., Any], tmp_path: Path) -> Callable[..., Any]:
    """``await make_mail_client(**settings)`` -> (client, auth, inbox)."""
    counter = iter(range(1000))

    async def make(auth_options: dict[str, Any] | None = None, **overrides: Any) -> Any:
        sender = FileOutboxSender(tmp_path / f"outbox-{next(counter)}.jsonl")
        client, auth = await make_client(auth_options={"email_sender": sender, **(auth_options or {})}, **overrides)
        return client, auth, Inbox(auth, sender)

    return make


async def sign_up(client: httpx.AsyncClient, email: str = "alice@example.com", **extra: Any) -> httpx.Response:
    response = await client.post(
        f"{API}/sign-up/email", json={"email": email, "password": PASSWORD, "name": "Alice", **extra}, headers=ORIGIN
    )
    assert response.status_code == 200, response.text
    return response


async def sign_in(
    client: httpx.AsyncClient, email: str = "alice@example.com", password: str = PASSWORD
) -> httpx.Response:
    return await client.post(f"{API}/sign-in/email", json={"email": email, "password": password}, headers=ORIGIN)
