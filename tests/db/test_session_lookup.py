"""The get-session hot path (one join on the driver) returns exactly what the generic primitives return."""

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
    assert joined[1] == await adapter.find_one("user", [Where("id", user["id"])])
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
    await _check(SQLAlchemyAdapter(asyncpg_url(postgres_dsn)))
