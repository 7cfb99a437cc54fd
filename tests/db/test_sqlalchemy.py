"""``SQLAlchemyAdapter`` against the contract, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from fastapi_betterauth.db.adapter import UniqueViolationError
from fastapi_betterauth.db.schema import CORE_SCHEMA, FieldSpec, TableSpec, merge_schema
from fastapi_betterauth.db.sqlalchemy import SQLAlchemyAdapter
from tests._services import asyncpg_url, create_postgres_database, drop_postgres_database
from tests.db.contract import AdapterContract, session, user


class SQLAdapterTests(AdapterContract):
    """Behaviour only a SQL database has (foreign keys are enforced on insert)."""

    @pytest.mark.anyio
    async def test_a_table_that_does_not_exist_has_no_columns(self, adapter: SQLAlchemyAdapter) -> None:
        note = TableSpec("never_created", (FieldSpec("id", "string"),))
        adapter.use_schema(merge_schema(CORE_SCHEMA, [note]))
        assert await adapter.existing_columns("never_created") == frozenset()

    @pytest.mark.anyio
    async def test_foreign_key_violation_is_not_a_unique_violation(self, adapter: SQLAlchemyAdapter) -> None:
        with pytest.raises(IntegrityError) as info:
            await adapter.create("session", session("s1", "missing-user"))
        assert not isinstance(info.value, UniqueViolationError)
        assert await adapter.count("session") == 0

    @pytest.mark.anyio
    async def test_not_null_violation_is_not_a_unique_violation(self, adapter: SQLAlchemyAdapter) -> None:
        row = user("u1")
        del row["name"]
        with pytest.raises(IntegrityError):
            await adapter.create("user", row)
        assert await adapter.count("user") == 0

    @pytest.mark.anyio
    async def test_create_schema_is_idempotent(self, adapter: SQLAlchemyAdapter) -> None:
        await adapter.create("user", user("u1"))
        await adapter.create_schema()
        assert await adapter.count("user") == 1


class TestSQLiteAdapter(SQLAdapterTests):
    @pytest.fixture
    async def adapter(self, sqlite_path: Path) -> AsyncIterator[SQLAlchemyAdapter]:
        adapter = SQLAlchemyAdapter(f"sqlite+aiosqlite:///{sqlite_path}")
        await adapter.create_schema()
        yield adapter
        await adapter.close()


class TestSQLiteInMemoryAdapter(SQLAdapterTests):
    """``sqlite+aiosqlite://``: one shared connection (StaticPool) that every operation must take turns on."""

    @pytest.fixture
    async def adapter(self) -> AsyncIterator[SQLAlchemyAdapter]:
        adapter = SQLAlchemyAdapter("sqlite+aiosqlite://")
        await adapter.create_schema()
        yield adapter
        await adapter.close()


@pytest.fixture(scope="class")
def postgres_class_database() -> Iterator[str]:
    """One fresh database per test class, with the core schema; tests empty it before they run.

    Creating a database per test costs ~0.3 s each; emptying four tables costs a few milliseconds.
    """
    dsn = anyio.run(create_postgres_database)
    try:
        anyio.run(_create_schema, asyncpg_url(dsn))
        yield dsn
    finally:
        anyio.run(drop_postgres_database, dsn)


async def _create_schema(url: str) -> None:
    adapter = SQLAlchemyAdapter(url)
    try:
        await adapter.create_schema()
    finally:
        await adapter.close()


@pytest.mark.postgres
class TestPostgresAdapter(SQLAdapterTests):
    @pytest.fixture
    async def adapter(self, postgres_class_database: str) -> AsyncIterator[SQLAlchemyAdapter]:
        adapter = SQLAlchemyAdapter(asyncpg_url(postgres_class_database))
        async with adapter.engine.begin() as conn:
            await conn.execute(sa.text('TRUNCATE "user", "session", "account", "verification" CASCADE'))
        await adapter.create_schema()
        yield adapter
        await adapter.close()
