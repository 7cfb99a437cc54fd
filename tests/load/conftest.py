from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests._services import asyncpg_url, create_postgres_database, drop_postgres_database

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_serving(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Poll ``/api/auth/ok`` until the server answers; fail if it exits or takes longer than ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/api/auth/ok", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server at {url} did not start")
        time.sleep(0.2)


class Server:
    def __init__(self, url: str, database_url: str) -> None:
        self.url = url
        self.database_url = database_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def loopback_server(request: pytest.FixtureRequest, tmp_path: Path, anyio_backend: str) -> Iterator[Server]:
    """A real uvicorn process on loopback with real scrypt hashing."""
    import anyio

    dsn = None
    if request.param == "sqlite":
        database_url = f"sqlite+aiosqlite:///{tmp_path}/load.db"
    else:
        dsn = anyio.run(create_postgres_database)
        database_url = asyncpg_url(dsn)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": database_url, "BETTER_AUTH_URL": url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tests.load.server_app:app", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_until_serving(url, proc)
        yield Server(url, database_url)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if dsn is not None:
            anyio.run(drop_postgres_database, dsn)
