"""Database fixtures for the storage tests: fresh SQLite files and fresh PostgreSQL databases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tests._services import create_postgres_database, drop_postgres_database


@pytest.fixture
async def make_postgres_database(anyio_backend: str) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """``await make_postgres_database()``: a fresh, empty database's ``postgresql://`` DSN (dropped afterwards)."""
    made: list[str] = []

    async def make() -> str:
        dsn = await create_postgres_database()
        made.append(dsn)
        return dsn

    try:
        yield make
    finally:
        for dsn in made:
            await drop_postgres_database(dsn)


@pytest.fixture
async def postgres_dsn(make_postgres_database: Callable[[], Awaitable[str]]) -> str:
    """A fresh, empty PostgreSQL database (plain ``postgresql://`` DSN), dropped afterwards."""
    return await make_postgres_database()


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    """Path of a not yet existing SQLite database file."""
    return tmp_path / "auth.db"
