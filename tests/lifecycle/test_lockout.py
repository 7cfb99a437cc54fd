"""Account lockout: N wrong passwords lock sign-in for a while, whoever the account belongs to, existing or not."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from fastapi_betterauth import AuditTrail, admin
from tests.conftest import ORIGIN, sign_up
from tests.lifecycle.conftest import API, PASSWORD

pytestmark = pytest.mark.anyio
WRONG = "not-the-password"
LOCK = {"max_failures": 3, "account_max_failures": 50, "window": 60, "duration": 60}


def from_peer(client: httpx.AsyncClient, ip: str) -> httpx.AsyncClient:
    """Another browser on the same app, connecting from ``ip``."""
    app = client._transport.app  # type: ignore[attr-defined]
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(ip, 40000)), base_url=str(client.base_url), headers=ORIGIN
    )


async def sign_in(client: httpx.AsyncClient, email: str, password: str, **headers: str) -> httpx.Response:
    return await client.post(f"{API}/sign-in/email", json={"email": email, "password": password}, headers=headers)


async def fail(client: httpx.AsyncClient, email: str, times: int) -> None:
    for _ in range(times):
        r = await sign_in(client, email, WRONG)
        assert r.status_code == 401, r.text


def audited() -> dict[str, Any]:
    """``auth_options`` collecting audit events in ``.callback.__self__``."""
    return {"audit": AuditTrail(callback=[].append)}


async def events(auth: Any, kind: str) -> list[Any]:
    await auth.audit.flush()
    return [e for e in auth.audit.callback.__self__ if e.type == kind]


async def test_locks_after_n_failures_and_refuses_even_the_right_password(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(lockout=LOCK)
    await sign_up(client)
    client.cookies.clear()
    await fail(client, "alice@example.com", 3)
    locked = await sign_in(client, "alice@example.com", PASSWORD)
    assert locked.status_code == 429
    body = locked.json()
    assert body["code"] == "ACCOUNT_TEMPORARILY_LOCKED"
    assert body["message"].startswith("Too many failed sign-in attempts. Try again in ")
    assert 1 <= body["retryAfter"] <= 60
    assert locked.headers["retry-after"] == locked.headers["x-retry-after"] == str(body["retryAfter"])
    assert "set-cookie" not in locked.headers


async def test_the_lock_lifts_after_its_duration_and_both_ends_are_audited(make_client: Callable[..., Any]) -> None:
    client, auth = await make_client(lockout={**LOCK, "duration": 1}, auth_options=audited())
    user = (await sign_up(client)).json()["user"]
    client.cookies.clear()
    await fail(client, "alice@example.com", 3)
    assert (await sign_in(client, "alice@example.com", PASSWORD)).status_code == 429
    await asyncio.sleep(1.1)
    assert (await sign_in(client, "alice@example.com", PASSWORD)).status_code == 200
    locked = await events(auth, "account_locked")
    unlocked = await events(auth, "account_unlocked")
    assert [(e.subject_id, e.ip_address) for e in locked] == [(user["id"], "127.0.0.1")]
    assert [(e.subject_id, e.reason) for e in unlocked] == [(user["id"], "expired")]


async def test_attempts_while_locked_do_not_extend_the_lock(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(lockout={**LOCK, "duration": 2})
    await sign_up(client)
    client.cookies.clear()
    await fail(client, "alice@example.com", 3)
    first = (await sign_in(client, "alice@example.com", WRONG)).json()["retryAfter"]
    await asyncio.sleep(1.05)
    for _ in range(5):
        assert (await sign_in(client, "alice@example.com", WRONG)).status_code == 429
    assert (await sign_in(client, "alice@example.com", WRONG)).json()["retryAfter"] < first + 1
    await asyncio.sleep(1.0)
    assert (await sign_in(client, "alice@example.com", PASSWORD)).status_code == 200


async def test_a_success_resets_the_count(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(lockout=LOCK)
    await sign_up(client)
    client.cookies.clear()
    await fail(client, "alice@example.com", 2)
    assert (await sign_in(client, "alice@example.com", PASSWORD)).status_code == 200
    await fail(client, "alice@example.com", 2)
    assert (await sign_in(client, "alice@example.com", PASSWORD)).status_code == 200


async def test_one_client_locking_itself_out_does_not_lock_the_owner_elsewhere(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(lockout=LOCK)
    await sign_up(client)
    attacker = from_peer(client, "198.51.100.66")
    owner = from_peer(client, "203.0.113.10")
    async with attacker, owner:
        await fail(attacker, "alice@example.com", 3)
        assert (await sign_in(attacker, "alice@example.com", PASSWORD)).status_code == 429
        assert (await sign_in(owner, "alice@example.com", PASSWORD)).status_code == 200


async def test_a_spoofed_forwarding_header_does_not_make_a_new_client(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(lockout=LOCK)
    await sign_up(client)
    client.cookies.clear()
    for i in range(3):
        assert (
            await sign_in(client, "alice@example.com", WRONG, **{"x-forwarded-for": f"10.0.0.{i}"})
        ).status_code == 401
    rotated = await sign_in(client, "alice@example.com", PASSWORD, **{"x-forwarded-for": "10.9.9.9"})
    assert rotated.status_code == 429


async def test_a_distributed_guess_locks_the_whole_account(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(lockout={**LOCK, "max_failures": 100, "account_max_failures": 4})
    await sign_up(client)
    for i in range(4):
        async with from_peer(client, f"198.51.100.{i + 1}") as bot:
            await fail(bot, "alice@example.com", 1)
    async with from_peer(client, "203.0.113.10") as owner:
        assert (await sign_in(owner, "alice@example.com", PASSWORD)).status_code == 429


async def test_unknown_and_known_emails_answer_alike(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(lockout=LOCK)
    await sign_up(client)
    client.cookies.clear()

    async def timed(email: str) -> tuple[float, httpx.Response]:
        start = time.perf_counter()
        response = await sign_in(client, email, WRONG)
        return time.perf_counter() - start, response

    answers: dict[str, list[tuple[float, httpx.Response]]] = {"alice@example.com": [], "nobody@example.com": []}
    for _ in range(3):
        for email in answers:
            answers[email].append(await timed(email))
    for _ in range(15):
        for email in answers:
            answers[email].append(await timed(email))
    known, unknown = answers["alice@example.com"], answers["nobody@example.com"]
    for a, b in zip(known, unknown, strict=True):
        assert a[1].status_code == b[1].status_code
        body_a, body_b = a[1].json(), b[1].json()
        assert body_a.keys() == body_b.keys() and body_a.get("code") == body_b.get("code")
        assert sorted(a[1].headers.keys()) == sorted(b[1].headers.keys())
    assert [r.status_code for _, r in known] == [401] * 3 + [429] * 15
    # Locked answers never touch the user table: their timing is the same within 20 ms (median).
    gap = abs(statistics.median(t for t, _ in known[3:]) - statistics.median(t for t, _ in unknown[3:]))
    assert gap < 0.020, gap


async def test_a_password_reset_lifts_the_lock(make_mail_client: Callable[..., Any]) -> None:
    client, auth, inbox = await make_mail_client(lockout=LOCK, auth_options=audited())
    await sign_up(client)
    client.cookies.clear()
    await fail(client, "alice@example.com", 3)
    assert (await sign_in(client, "alice@example.com", PASSWORD)).status_code == 429
    r = await client.post(f"{API}/request-password-reset", json={"email": "alice@example.com"})
    assert r.status_code == 200
    token = (await inbox.last("reset-password", "alice@example.com"))["token"]
    r = await client.post(f"{API}/reset-password", json={"token": token, "newPassword": "brand-new-password"})
    assert r.status_code == 200, r.text
    assert (await sign_in(client, "alice@example.com", "brand-new-password")).status_code == 200
    assert [e.reason for e in await events(auth, "account_unlocked")] == ["password_reset"]


async def test_admins_see_and_clear_a_lock(make_client: Callable[..., Any]) -> None:
    client, auth = await make_client(lockout=LOCK, plugins=[admin()], auth_options=audited())
    boss = (await sign_up(client, email="boss@example.com", name="Boss")).json()["user"]
    client.cookies.clear()
    alice = (await sign_up(client)).json()["user"]
    client.cookies.clear()
    await auth.store.update_user(boss["id"], {"role": "admin"})
    await fail(client, "alice@example.com", 3)
    async with from_peer(client, "203.0.113.10") as admin_browser:
        assert (await sign_in(admin_browser, "boss@example.com", PASSWORD)).status_code == 200
        seen = await admin_browser.get(f"{API}/admin/get-lockout", params={"userId": alice["id"]})
        assert seen.status_code == 200, seen.text
        assert seen.json()["locked"] is True
        [lock] = seen.json()["locks"]
        assert lock["ipAddress"] == "127.0.0.1" and lock["lockedUntil"].endswith("Z")
        assert (await admin_browser.post(f"{API}/admin/clear-lockout", json={"userId": alice["id"]})).json() == {
            "success": True
        }
        assert (await admin_browser.get(f"{API}/admin/get-lockout", params={"userId": alice["id"]})).json() == {
            "locked": False,
            "locks": [],
        }
        # only admins
        assert (await client.get(f"{API}/admin/get-lockout", params={"userId": alice["id"]})).status_code == 401
    assert (await sign_in(client, "alice@example.com", PASSWORD)).status_code == 200
    [cleared] = await events(auth, "account_unlocked")
    assert (cleared.reason, cleared.actor_id, cleared.subject_id) == ("admin", boss["id"], alice["id"])


async def test_lockout_can_be_turned_off(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(lockout={**LOCK, "enabled": False})
    await sign_up(client)
    client.cookies.clear()
    await fail(client, "alice@example.com", 10)
    assert (await sign_in(client, "alice@example.com", PASSWORD)).status_code == 200
