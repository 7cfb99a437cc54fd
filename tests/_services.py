"""Access to the external services some tests need (PostgreSQL, node).

On a developer's machine without them those tests skip with a clear reason. CI sets
``FASTAPI_BETTERAUTH_REQUIRE_SERVICES=1`` (see ``.ci/run``), which turns every such skip into a
failure, so a broken service can never make CI green by skipping.
"""

from __future__ import annotations

import os
import secrets
import shutil
from typing import NoReturn

import pytest

REQUIRED = os.environ.get("FASTAPI_BETTERAUTH_REQUIRE_SERVICES") == "1"
ADMIN_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def unavailable(reason: str) -> NoReturn:
    """Skip the test, or fail it when services are required (CI)."""
    if REQUIRED:
        pytest.fail(f"required service unavailable: {reason}", pytrace=False)
    pytest.skip(reason)


def _dsn_for(database: str) -> str:
    base, _, _ = ADMIN_DSN.rpartition("/")
    return f"{base}/{database}"


async def create_postgres_database() -> str:
    """Create an empty, uniquely named database; return its plain ``postgresql://`` DSN."""
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - depends on the environment
        unavailable("asyncpg is not installed (pip install 'fastapi-betterauth-server[postgres]')")
    try:
        conn = await asyncpg.connect(ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        unavailable(f"PostgreSQL not reachable at {ADMIN_DSN}: {exc}")
    name = f"fba_test_{secrets.token_hex(6)}"
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return _dsn_for(name)


async def drop_postgres_database(dsn: str) -> None:
    """Drop a database made by :func:`create_postgres_database` (forcibly closing connections)."""
    import asyncpg

    name = dsn.rpartition("/")[2]
    conn = await asyncpg.connect(ADMIN_DSN, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def asyncpg_url(dsn: str) -> str:
    """SQLAlchemy URL for a plain ``postgresql://`` DSN."""
    return dsn.replace("postgresql://", "postgresql+asyncpg://", 1)


def require_node() -> str:
    """Path of the node binary, or skip/fail."""
    node = shutil.which("node")
    if node is None:
        unavailable("node is not installed; the JS-client interop tests need Node.js 18+")
    return node


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def redis_storage(prefix: str | None = None) -> object:
    """A :class:`RedisStorage` on the test Redis with a fresh key prefix, or skip/fail."""
    try:
        from fastapi_betterauth.storage import RedisStorage
    except ImportError:  # pragma: no cover - depends on the environment
        unavailable("redis is not installed (pip install 'fastapi-betterauth-server[redis]')")
    storage = RedisStorage(REDIS_URL, key_prefix=prefix or f"fba-test-{secrets.token_hex(4)}:")
    try:
        await storage.client.ping()
    except Exception as exc:
        await storage.close()
        unavailable(f"Redis not reachable at {REDIS_URL}: {exc}")
    return storage


async def drop_redis_keys(storage: object) -> None:
    """Delete every key under the storage's prefix and close it."""
    client = storage.client  # type: ignore[attr-defined]
    prefix = storage.key_prefix  # type: ignore[attr-defined]
    keys = [key async for key in client.scan_iter(match=prefix + "*", count=500)]
    if keys:
        await client.delete(*keys)
    await storage.close()  # type: ignore[attr-defined]
