"""Sessions and verification values in secondary storage, laid out as Better Auth 1.7.24 lays them.

Runs on every database backend with the in-process storage and with a real Redis (required in CI).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from fastapi_betterauth import admin
from fastapi_betterauth.email import FileOutboxSender
from fastapi_betterauth.storage import MemoryStorage, SecondaryStorage
from tests._services import drop_redis_keys, redis_storage
from tests.conftest import BASE_URL, ORIGIN

pytestmark = pytest.mark.anyio
API = "/api/auth"
PASSWORD = "password123"


@pytest.fixture(params=["memory-storage", pytest.param("redis", marks=pytest.mark.redis)])
async def storage(request: pytest.FixtureRequest) -> AsyncIterator[SecondaryStorage]:
    if request.param == "memory-storage":
        yield MemoryStorage()
        return
    store = await redis_storage()
    yield store  # type: ignore[misc]
    await drop_redis_keys(store)


@pytest.fixture
def make(make_client: Callable[..., Any], storage: SecondaryStorage, tmp_path: Path) -> Callable[..., Any]:
    async def build(**overrides: Any) -> tuple[httpx.AsyncClient, Any]:
        options = {"secondary_storage": storage, **overrides.pop("auth_options", {})}
        client, auth = await make_client(auth_options=options, **overrides)
        auth.secondary_storage = None  # the fixture owns the storage: the app's shutdown must not close it
        client.headers.update(ORIGIN)
        return client, auth

    return build


async def sign_up(client: httpx.AsyncClient, email: str = "alice@example.com") -> dict[str, Any]:
    r = await client.post(f"{API}/sign-up/email", json={"email": email, "password": PASSWORD, "name": "Alice"})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def browser(client: httpx.AsyncClient) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=client._transport, base_url=BASE_URL, headers=ORIGIN)


async def sign_in(client: httpx.AsyncClient, email: str = "alice@example.com", password: str = PASSWORD) -> str:
    r = await client.post(f"{API}/sign-in/email", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


async def session_of(client: httpx.AsyncClient) -> Any:
    return (await client.get(f"{API}/get-session", params={"disableCookieCache": "true"})).json()


async def test_a_session_lives_in_storage_with_better_auths_layout(make: Callable[..., Any], storage: Any) -> None:
    client, auth = await make()
    signed = await sign_up(client)
    token, uid = signed["token"], signed["user"]["id"]
    assert await auth.adapter.count("session") == 0  # Better Auth's default: secondary storage only
    entry = json.loads(await storage.get(token))
    assert set(entry) == {"session", "user"}
    assert entry["session"]["token"] == token and entry["session"]["userId"] == uid
    assert entry["session"]["expiresAt"].endswith("Z") and len(entry["session"]["expiresAt"]) == 24
    assert entry["user"]["email"] == "alice@example.com" and entry["user"]["emailVerified"] is False
    refs = json.loads(await storage.get(f"active-sessions-{uid}"))
    assert [r["token"] for r in refs] == [token] and isinstance(refs[0]["expiresAt"], int)
    assert 604790 <= await storage.ttl(token) <= 604800
    answer = await session_of(client)
    assert answer["session"]["token"] == token and answer["user"]["id"] == uid


async def test_a_missing_key_is_no_session(make: Callable[..., Any], storage: Any) -> None:
    client, _ = await make()
    token = (await sign_up(client))["token"]
    await storage.delete(token)
    assert await session_of(client) is None


async def test_sign_out_removes_the_entry_and_the_list_reference(make: Callable[..., Any], storage: Any) -> None:
    client, _ = await make()
    signed = await sign_up(client)
    r = await client.post(f"{API}/sign-out")
    assert r.json() == {"success": True}
    assert await storage.get(signed["token"]) is None
    assert await storage.get(f"active-sessions-{signed['user']['id']}") is None  # deleted, never "[]"


async def test_list_and_revoke_other_sessions(make: Callable[..., Any], storage: Any) -> None:
    client, _ = await make()
    mine = (await sign_up(client))["token"]
    async with browser(client) as other:
        theirs = await sign_in(other)
        listed = (await client.get(f"{API}/list-sessions")).json()
        assert sorted(s["token"] for s in listed) == sorted([mine, theirs])
        assert (await client.post(f"{API}/revoke-other-sessions")).json() == {"status": True}
        assert await session_of(other) is None
        assert (await session_of(client))["session"]["token"] == mine
        assert [s["token"] for s in (await client.get(f"{API}/list-sessions")).json()] == [mine]


async def test_revoke_sessions_writes_the_watermark(make: Callable[..., Any], storage: Any) -> None:
    client, _ = await make()
    signed = await sign_up(client)
    uid = signed["user"]["id"]
    # a session the list does not know about (another server's racing write): the watermark still revokes it
    stray = json.loads(await storage.get(signed["token"]))
    stray["session"]["token"] = "s" * 32
    await storage.set("s" * 32, json.dumps(stray), 3600)
    assert (await client.post(f"{API}/revoke-sessions")).json() == {"status": True}
    watermark = int(await storage.get(f"revoked-sessions-before-{uid}"))
    assert watermark >= 1_700_000_000_000
    assert 604790 <= await storage.ttl(f"revoked-sessions-before-{uid}") <= 604800
    assert await auth_session(client, "s" * 32) is None
    assert await session_of(client) is None


async def auth_session(client: httpx.AsyncClient, token: str) -> Any:
    r = await client.get(f"{API}/get-session", headers={"Authorization": f"Bearer {token}"})
    return r.json() if r.status_code == 200 else r.status_code


async def test_a_session_created_after_the_watermark_is_valid(make: Callable[..., Any]) -> None:
    client, _ = await make()
    await sign_up(client)
    response = await client.post(
        f"{API}/change-password",
        json={"currentPassword": PASSWORD, "newPassword": "new-password-1", "revokeOtherSessions": True},
    )
    assert response.status_code == 200, response.text
    assert (await session_of(client))["session"]["token"] == response.json()["token"]


async def test_a_user_update_rewrites_the_cached_user(make: Callable[..., Any]) -> None:
    client, _ = await make()
    await sign_up(client)
    async with browser(client) as other:
        await sign_in(other)
        assert (await client.post(f"{API}/update-user", json={"name": "Alice B."})).json() == {"status": True}
        assert (await session_of(other))["user"]["name"] == "Alice B."


async def test_a_ban_revokes_every_session(make: Callable[..., Any]) -> None:
    client, auth = await make(plugins=[admin()])
    boss = (await sign_up(client, "boss@example.com"))["user"]
    await auth.store.update_user(boss["id"], {"role": "admin"})
    async with browser(client) as alice:
        victim = (await sign_up(alice))["user"]
        r = await client.post(f"{API}/admin/ban-user", json={"userId": victim["id"]})
        assert r.status_code == 200, r.text
        assert await session_of(alice) is None


async def test_a_refresh_never_resurrects_a_revoked_session(make: Callable[..., Any], storage: Any) -> None:
    client, auth = await make()
    token = (await sign_up(client))["token"]
    found = await auth.store.find_session(token)
    assert found is not None
    await auth.store.delete_session(token)  # revoked while a refresh was in flight
    assert await auth.store.update_session(token, {"updatedAt": found[0]["updatedAt"]}) is None
    assert await storage.get(token) is None


async def test_concurrent_sign_ins_are_all_listed(make: Callable[..., Any]) -> None:
    client, _ = await make()
    await sign_up(client)
    browsers = [browser(client) for _ in range(12)]
    tokens = await asyncio.gather(*(sign_in(b) for b in browsers))
    listed = {s["token"] for s in (await client.get(f"{API}/list-sessions")).json()}
    assert set(tokens) <= listed
    assert (await client.post(f"{API}/revoke-other-sessions")).json() == {"status": True}
    assert [await session_of(b) for b in browsers] == [None] * 12
    for b in browsers:
        await b.aclose()


async def test_reset_tokens_live_in_storage_and_work_once(
    make: Callable[..., Any], storage: Any, tmp_path: Path
) -> None:
    sender = FileOutboxSender(tmp_path / "outbox.jsonl")
    client, auth = await make(auth_options={"email_sender": sender})
    await sign_up(client)
    assert (await client.post(f"{API}/request-password-reset", json={"email": "alice@example.com"})).status_code == 200
    await auth.mailer.flush()
    token = [m for m in sender.messages() if m["kind"] == "reset-password"][-1]["token"]
    stored = json.loads(await storage.get(f"verification:reset-password:{token}"))
    assert set(stored) == {"createdAt", "updatedAt", "identifier", "value", "expiresAt"}  # no id, as Better Auth
    assert await auth.adapter.count("verification") == 0
    answers = await asyncio.gather(
        *(
            client.post(f"{API}/reset-password", json={"token": token, "newPassword": f"pw-{i}-abcdef"})
            for i in range(5)
        )
    )
    assert sorted(a.status_code for a in answers) == [200, 400, 400, 400, 400]
    assert await storage.get(f"verification:reset-password:{token}") is None


async def test_store_session_in_database_keeps_both_and_falls_back(make: Callable[..., Any], storage: Any) -> None:
    client, auth = await make(session={"store_session_in_database": True})
    token = (await sign_up(client))["token"]
    assert await auth.adapter.count("session") == 1
    assert await storage.get(token) is not None
    await storage.delete(token)  # Redis lost it: the database still has it
    assert (await session_of(client))["session"]["token"] == token
    await client.post(f"{API}/sign-out")
    assert await auth.adapter.count("session") == 0
