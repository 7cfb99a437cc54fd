"""The example mobile/CLI client (examples/clients/token_client.py) against the todo API (docs/modes/tokens.md).

Refresh before and after expiry, persistence across a client restart, the end of the refresh credential
(sign-in required), and sign-out; on SQLite and PostgreSQL.
"""

from __future__ import annotations

import stat
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from examples.clients.token_client import SignInRequired, TokenClient
from tests.examples.conftest import ExampleWorld

from .conftest import ORIGIN, sign_up

pytestmark = pytest.mark.anyio
EMAIL = "cli@example.com"


async def started(world: Callable[[], ExampleWorld]) -> tuple[ExampleWorld, httpx.AsyncClient]:
    w = world()
    browser = await w.start()
    await sign_up(browser, EMAIL)
    return w, browser


def client_of(w: ExampleWorld, store: Path, clock: Callable[[], float] = time.time) -> TokenClient:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=w.app), base_url="http://localhost:8000")
    return TokenClient("http://localhost:8000", store, http=http, clock=clock)


async def test_refresh_persistence_and_sign_out(world: Callable[[], ExampleWorld], tmp_path: Path) -> None:
    w, _ = await started(world)
    store = tmp_path / "session"
    now = [time.time()]
    cli = client_of(w, store, clock=lambda: now[0])
    with pytest.raises(SignInRequired):
        await cli.access_token()
    await cli.sign_in(EMAIL, "password123")
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    created = await cli.request("POST", "/api/tasks", json={"title": "from the CLI"})
    assert created.status_code in (200, 201), created.text
    assert (await cli.request("GET", "/api/tasks")).status_code == 200
    assert cli.minted == 1  # the JWT is reused while it is fresh
    now[0] += 900 - 30  # within refresh_before of its 15-minute expiry: minted again before it runs out
    assert (await cli.request("GET", "/api/tasks")).status_code == 200
    assert cli.minted == 2
    # After expiry, as the API sees it: a stale JWT is answered 401, and the client mints and retries once.
    cli._jwt = "eyJhbGciOiJFZERTQSJ9.eyJleHAiOjk5OTk5OTk5OTl9.c2lnbmF0dXJl"
    listed = await cli.request("GET", "/api/tasks")
    assert listed.status_code == 200 and cli.minted == 3
    assert [t["title"] for t in listed.json()] == ["from the CLI"]
    # A restarted client (a new process) is still signed in from the stored session token.
    again = client_of(w, store)
    assert again.signed_in and (await again.request("GET", "/api/tasks")).status_code == 200
    await again.sign_out()
    assert not store.exists()
    with pytest.raises(SignInRequired):
        await again.request("GET", "/api/tasks")


async def test_the_end_of_the_session_asks_for_sign_in(world: Callable[[], ExampleWorld], tmp_path: Path) -> None:
    # The refresh credential ends elsewhere (here: "sign out everywhere" from the browser): the next JWT
    # cannot be minted and the client says sign-in is required, instead of failing some other way.
    w, browser = await started(world)
    cli = client_of(w, tmp_path / "session")
    await cli.sign_in(EMAIL, "password123")
    assert (await cli.request("GET", "/api/tasks")).status_code == 200
    revoked = await browser.post("/api/auth/revoke-sessions", headers=ORIGIN)
    assert revoked.status_code == 200
    with pytest.raises(SignInRequired):
        await cli.access_token(force=True)
    assert not cli.signed_in
