"""Access to the external services some tests need (PostgreSQL, node).

On a developer's machine without them those tests skip with a clear reason. CI sets
``FASTAPI_BETTERAUTH_REQUIRE_SERVICES=1`` (see ``.ci/run``), which turns every such skip into a
failure, so a broken service can never make CI green by skipping.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
from collections.abc import Iterable
from pathlib import Path
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


INTEROP_DIR = Path(__file__).resolve().parent / "interop"
"""Where package.json/package-lock.json pin the npm packages every node-based test uses (node_modules lives there)."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the caller binds it soon after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def install_node_modules(packages: Iterable[str]) -> Path:
    """tests/interop/node_modules, with ``npm ci`` from the lockfile first when one of ``packages`` is missing.

    A checkout whose node_modules predates a new pin gets reinstalled rather than failing on an import; ``npm`` or the
    install failing goes through :func:`unavailable` (skip locally, fail in CI).
    """
    target = INTEROP_DIR / "node_modules"
    if any(not (target / name / "package.json").exists() for name in packages):
        try:
            result = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"],
                cwd=INTEROP_DIR,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            unavailable(f"npm ci failed in {INTEROP_DIR}: {exc}")
        if result.returncode != 0:
            unavailable(f"npm ci failed in {INTEROP_DIR}:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return target


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
