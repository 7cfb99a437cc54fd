"""The hot paths (the get-session join and the by-id read, on the driver) return exactly what the generic
primitives return; on PostgreSQL they run on the adapter's own asyncpg pool, closed with the adapter."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastapi_betterauth import AuthStore, SQLAlchemyAdapter, Where
from tests._services import asyncpg_url

pytestmark = pytest.mark.anyio


async def _check(adapter: SQLAlchemyAdapter) -> None:
    await adapter.create_schema()
    store = AuthStore(adapter)
    user = await store.create_user({"name": "Zoë", "email": "z@example.com", "image": None})
    session = await store.create_session(user["id"], expires_in=60, ip_address="203.0.113.7", user_agent="UA")

    joined = await adapter.find_session_and_user(session["token"])
    assert joined is not None
    assert joined[0] == await adapter.find_one("session", [Where("token", session["token"])])
    by_id = await adapter.find_one("user", [Where("id", user["id"])])  # the pre-compiled read
    assert joined[1] == by_id == (await adapter.find_many("user", [Where("id", user["id"])]))[0]  # the Core read
    assert await adapter.find_one("session", [Where("id", session["id"])]) == joined[0]
    assert await adapter.find_one("user", [Where("id", "no-such-id")]) is None
    assert joined[1]["emailVerified"] is False
    assert joined[0]["expiresAt"].utcoffset() is not None
    assert await store.find_session(session["token"]) == joined
    assert await adapter.find_session_and_user("no-such-token") is None
    await adapter.close()


async def test_sqlite(tmp_path: Path) -> None:
    await _check(SQLAlchemyAdapter(f"sqlite+aiosqlite:///{tmp_path}/lookup.db"))


async def test_sqlite_in_memory() -> None:
    await _check(SQLAlchemyAdapter("sqlite+aiosqlite://"))


@pytest.mark.postgres
async def test_postgres(postgres_dsn: str) -> None:
    adapter = SQLAlchemyAdapter(asyncpg_url(postgres_dsn))
    await adapter.create_schema()
    user = await AuthStore(adapter).create_user({"name": "P", "email": "p@example.com", "image": None})
    assert await adapter.find_one("user", [Where("id", user["id"])]) is not None
    assert adapter._driver_pool is not None  # the hot path went to the driver pool, not SQLAlchemy's
    await _check(adapter)
    assert adapter._driver_pool is None  # closed with the adapter


@pytest.mark.postgres
async def test_an_engine_passed_in_keeps_to_its_own_pool(postgres_dsn: str) -> None:
    from fastapi_betterauth.db.sqlalchemy import create_engine

    adapter = SQLAlchemyAdapter(create_engine(asyncpg_url(postgres_dsn)))
    await _check(adapter)
    assert adapter._driver_pool is None  # its connection options may be the caller's: no second pool
