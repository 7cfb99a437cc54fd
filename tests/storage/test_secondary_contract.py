"""The secondary-storage contract, for the in-process store and for Redis (real server, required in CI)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from fastapi_betterauth.storage import MemoryStorage, SecondaryStorage
from tests._services import drop_redis_keys, redis_storage

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def storage(request: pytest.FixtureRequest) -> AsyncIterator[SecondaryStorage]:
    if request.param == "memory":
        yield MemoryStorage()
        return
    store = await redis_storage()
    yield store  # type: ignore[misc]
    await drop_redis_keys(store)


async def test_set_get_delete(storage: SecondaryStorage) -> None:
    assert await storage.get("k") is None
    await storage.set("k", "v", 60)
    assert await storage.get("k") == "v"
    ttl = await storage.ttl("k")
    assert ttl is not None and 58 <= ttl <= 60
    await storage.delete("k")
    assert await storage.get("k") is None
    await storage.delete("k")  # absent: no error


async def test_a_ttl_of_zero_never_stores_forever(storage: SecondaryStorage) -> None:
    await storage.set("k", "v", 60)
    await storage.set("k", "v2", 0)
    assert await storage.get("k") is None


async def test_values_expire(storage: SecondaryStorage) -> None:
    await storage.set("short", "v", 1)
    await asyncio.sleep(1.2)
    assert await storage.get("short") is None


async def test_get_and_delete_hands_the_value_to_one_caller(storage: SecondaryStorage) -> None:
    await storage.set("once", "token", 60)
    results = await asyncio.gather(*(storage.get_and_delete("once") for _ in range(20)))
    assert results.count("token") == 1
    assert await storage.get("once") is None


async def test_increment_is_atomic_and_expires_from_the_first(storage: SecondaryStorage) -> None:
    counts = await asyncio.gather(*(storage.increment("n", 60) for _ in range(50)))
    assert sorted(counts) == list(range(1, 51))
    ttl = await storage.ttl("n")
    assert ttl is not None and ttl <= 60


async def test_replace_writes_only_an_existing_key(storage: SecondaryStorage) -> None:
    assert await storage.replace("gone", "v", 60) is False
    assert await storage.get("gone") is None
    await storage.set("here", "a", 60)
    assert await storage.replace("here", "b", 60) is True
    assert await storage.get("here") == "b"


async def test_add_writes_only_an_absent_key(storage: SecondaryStorage) -> None:
    results = await asyncio.gather(*(storage.add("lock", str(i), 60) for i in range(10)))
    assert results.count(True) == 1
    assert await storage.get("lock") == str(results.index(True))


async def test_transform_never_loses_a_concurrent_change(storage: SecondaryStorage) -> None:
    def add(item: int):  # type: ignore[no-untyped-def]
        def change(old: str | None) -> tuple[str | None, int | None]:
            items = json.loads(old) if old else []
            return json.dumps([*items, item]), 60

        return change

    await asyncio.gather(*(storage.transform("list", add(i)) for i in range(30)))
    assert sorted(json.loads(await storage.get("list") or "[]")) == list(range(30))
    await storage.transform("list", lambda old: (None, None))
    assert await storage.get("list") is None


async def test_keys_by_prefix_even_with_glob_characters(storage: SecondaryStorage) -> None:
    await storage.set("lockout:a*b:x", "1", 60)
    await storage.set("lockout:a*b:y", "1", 60)
    await storage.set("lockout:aXb:z", "1", 60)
    assert sorted(await storage.keys("lockout:a*b:")) == ["lockout:a*b:x", "lockout:a*b:y"]


async def test_memory_storage_stays_bounded() -> None:
    store = MemoryStorage(max_entries=1000)
    for i in range(5000):
        await store.set(f"k{i}", "v", 60)
    assert len(store) == 1000
    assert await store.get("k4999") == "v"
    assert await store.get("k0") is None
