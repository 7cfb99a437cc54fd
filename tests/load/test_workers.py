"""The todo example as several processes on PostgreSQL + Redis: limits, lockout and revocation hold across
processes, and 200 concurrent mixed requests to ``uvicorn --workers 4`` lose nothing.

The limits test runs four single-worker processes and sends consecutive requests to each in turn: the
kernel, left to itself, may hand a whole burst of quick requests to one of uvicorn's workers (CI saw six in a
row), which would prove nothing. Every answer names its process (``X-Worker-Pid``) and each phase checks it
really reached more than one. The test client acts as the deployment's proxy (``trusted_proxies=127.0.0.1``)
and names the client in ``X-Forwarded-For``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import pytest

from tests._services import REDIS_URL, asyncpg_url, create_postgres_database, drop_postgres_database, unavailable

from .conftest import ROOT, _free_port, wait_until_serving

pytestmark = [pytest.mark.anyio, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]
ORIGIN = "http://localhost:3000"
PASSWORD = "correct horse battery staple"
WORKERS = 4


@dataclass
class Cluster:
    """Where the test sends requests: one URL (uvicorn's workers share its socket) or one per process.

    With several URLs, ``call`` takes them in turn, so consecutive requests reach different processes by
    construction; with one, the kernel decides (and may hand a burst to a single worker).
    """

    urls: list[str]
    pids: set[str] = field(default_factory=set)
    _turn: int = 0

    def client(self) -> httpx.AsyncClient:
        # no keep-alive: each request is a new connection, which any worker may accept
        limits = httpx.Limits(max_keepalive_connections=0, max_connections=300)
        return httpx.AsyncClient(limits=limits, timeout=60, headers={"Origin": ORIGIN})

    async def call(
        self, client: httpx.AsyncClient, method: str, path: str, *, ip: str, cookie: str | None = None, json: Any = None
    ) -> httpx.Response:
        url = self.urls[self._turn % len(self.urls)] + path
        self._turn += 1
        headers = {"X-Forwarded-For": ip, **({"Cookie": cookie} if cookie else {})}
        response = await client.request(method, url, headers=headers, json=json)
        self.pids.add(response.headers.get("x-worker-pid", "?"))
        return response


def _redis_keys_gone(prefix: str) -> None:
    import redis

    with redis.Redis.from_url(REDIS_URL) as client:
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)


def _uvicorn(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    args = ["tests.load.todo_workers:app", "--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    return subprocess.Popen([sys.executable, "-m", "uvicorn", *args], cwd=ROOT, env=env)


@contextmanager
def _started(*, separate_processes: bool) -> Iterator[Cluster]:
    """The example on one fresh PostgreSQL database and Redis prefix, as 4 uvicorn workers behind one port
    or as 4 single-worker processes on 4 ports (the same app and shared state either way)."""
    import redis

    try:
        with redis.Redis.from_url(REDIS_URL) as probe:
            probe.ping()
    except redis.RedisError as exc:
        unavailable(f"Redis not reachable at {REDIS_URL}: {exc}")
    dsn = anyio.run(create_postgres_database)
    prefix = f"workers-{secrets.token_hex(4)}:"
    ports = [_free_port() for _ in range(WORKERS if separate_processes else 1)]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith("BETTER_AUTH_") or k == "BETTER_AUTH_DEV_SECRET_FILE"
        },
        "DATABASE_URL": asyncpg_url(dsn),
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": prefix,
        "BETTER_AUTH_SECRET": "workers-secret-0123456789abcdef0123456789abcdef",
        "BETTER_AUTH_URL": urls[0],
        "BETTER_AUTH_TRUSTED_ORIGINS": ORIGIN,
        "BETTER_AUTH_ENV": "development",  # rate limits on (by default)
        "BETTER_AUTH_ADVANCED__TRUSTED_PROXIES": "127.0.0.1",
        "BETTER_AUTH_LOCKOUT__MAX_FAILURES": "6",
        # sign-in is left to the lockout here: the sign-up limit (3 per 10 s) shows the limiter across workers
        "BETTER_AUTH_RATE_LIMIT__CUSTOM_RULES": '{"/sign-in/email": {"window": 10, "max": 1000}}',
        "TODO_CREATE_SCHEMA": "0",
    }
    # the tables, once, before the workers start (four workers creating them at once would race)
    subprocess.run(
        [sys.executable, "-c", _CREATE_SCHEMA],
        cwd=ROOT,
        env={**env, "TODO_CREATE_SCHEMA": "1"},
        check=True,
        timeout=120,
    )
    procs = [_uvicorn(port, 1 if separate_processes else WORKERS, env) for port in ports]
    try:
        for url, proc in zip(urls, procs, strict=True):
            wait_until_serving(url, proc, timeout=60)
        time.sleep(1.0)  # let every worker finish starting
        yield Cluster(urls)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        anyio.run(drop_postgres_database, dsn)
        _redis_keys_gone(prefix)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """``uvicorn --workers 4``: for bursts big enough that the kernel spreads them by itself."""
    with _started(separate_processes=False) as started:
        yield started


@pytest.fixture
def processes() -> Iterator[Cluster]:
    """Four processes taken in turn: consecutive requests reach different processes every time."""
    with _started(separate_processes=True) as started:
        yield started


_CREATE_SCHEMA = """
import asyncio
from asgi_lifespan import LifespanManager
from examples.todo.app.main import create_app

async def main():
    async with LifespanManager(create_app()):
        pass

asyncio.run(main())
"""


def session_cookie(response: httpx.Response) -> str:
    value = response.cookies.get("better-auth.session_token")
    assert value, response.headers.get_list("set-cookie")
    return f"better-auth.session_token={value}"


async def test_limits_lockout_and_revocation_hold_across_workers(processes: Cluster) -> None:
    cluster = processes
    async with cluster.client() as client:
        # -- the sign-up limit (3 per 10 s per client) counts across workers, not 4x --------------
        cluster.pids.clear()
        signups = await asyncio.gather(
            *(
                cluster.call(
                    client,
                    "POST",
                    "/api/auth/sign-up/email",
                    ip="203.0.113.1",
                    json={"email": f"burst{i}@example.com", "password": PASSWORD, "name": "B"},
                )
                for i in range(12)
            )
        )
        statuses = sorted(r.status_code for r in signups)
        assert statuses == [200] * 3 + [429] * 9, statuses
        assert len(cluster.pids) == WORKERS

        # -- the lockout (6 wrong passwords per client) counts across workers ---------------------
        r = await cluster.call(
            client,
            "POST",
            "/api/auth/sign-up/email",
            ip="198.51.100.1",
            json={"email": "lock@example.com", "password": PASSWORD, "name": "L"},
        )
        assert r.status_code == 200
        cluster.pids.clear()
        wrong = {"email": "lock@example.com", "password": "not the password"}
        failures = [
            await cluster.call(client, "POST", "/api/auth/sign-in/email", ip="198.51.100.2", json=wrong)
            for _ in range(6)
        ]
        assert [f.status_code for f in failures] == [401] * 6
        # the lock is then asked of every process, at once
        right = {"email": "lock@example.com", "password": PASSWORD}
        locked = await asyncio.gather(
            *(
                cluster.call(client, "POST", "/api/auth/sign-in/email", ip="198.51.100.2", json=right)
                for _ in range(4 * WORKERS)
            )
        )
        assert {(r.status_code, r.json()["code"]) for r in locked} == {(429, "ACCOUNT_TEMPORARILY_LOCKED")}
        assert len(cluster.pids) == WORKERS

        # -- a session revoked through one worker is refused by all at once -----------------------
        r = await cluster.call(
            client,
            "POST",
            "/api/auth/sign-up/email",
            ip="198.51.100.3",
            json={"email": "revoke@example.com", "password": PASSWORD, "name": "R"},
        )
        cookie = session_cookie(r)
        cluster.pids.clear()
        before = await asyncio.gather(
            *(cluster.call(client, "GET", "/api/tasks", ip="198.51.100.3", cookie=cookie) for _ in range(8))
        )
        assert {b.status_code for b in before} == {200}
        out = await cluster.call(client, "POST", "/api/auth/sign-out", ip="198.51.100.3", cookie=cookie, json={})
        assert out.json() == {"success": True}
        after = await asyncio.gather(
            *(cluster.call(client, "GET", "/api/tasks", ip="198.51.100.3", cookie=cookie) for _ in range(20))
        )
        assert {a.status_code for a in after} == {401}
        assert len(cluster.pids) == WORKERS


async def test_two_hundred_concurrent_mixed_requests_lose_nothing(cluster: Cluster) -> None:
    users = 20
    async with cluster.client() as client:
        cookies = []
        for u in range(users):
            r = await cluster.call(
                client,
                "POST",
                "/api/auth/sign-up/email",
                ip=f"192.0.2.{u + 1}",
                json={"email": f"user{u}@example.com", "password": PASSWORD, "name": f"U{u}"},
            )
            assert r.status_code == 200, r.text
            cookies.append(session_cookie(r))
        cluster.pids.clear()

        async def sign_in(u: int, k: int) -> httpx.Response:
            body = {"email": f"user{u}@example.com", "password": PASSWORD}
            return await cluster.call(client, "POST", "/api/auth/sign-in/email", ip=f"10.{u}.{k}.1", json=body)

        async def create(u: int, k: int) -> httpx.Response:
            body = {"title": f"task {k} of user {u}"}
            return await cluster.call(client, "POST", "/api/tasks", ip=f"192.0.2.{u + 1}", cookie=cookies[u], json=body)

        async def read(u: int) -> httpx.Response:
            return await cluster.call(client, "GET", "/api/auth/get-session", ip=f"192.0.2.{u + 1}", cookie=cookies[u])

        jobs: list[Any] = []
        for u in range(users):
            jobs += [sign_in(u, k) for k in range(3)] + [create(u, k) for k in range(5)] + [read(u), read(u)]
        assert len(jobs) == 200
        answers = await asyncio.gather(*jobs)
        assert [a.status_code for a in answers if a.status_code not in (200, 201)] == []
        assert len(cluster.pids) > 1

        new_tokens = {a.json()["token"] for a in answers if a.request.url.path.endswith("/sign-in/email")}
        for u in range(users):
            tasks = (await cluster.call(client, "GET", "/api/tasks", ip=f"192.0.2.{u + 1}", cookie=cookies[u])).json()
            assert sorted(t["title"] for t in tasks) == sorted(f"task {k} of user {u}" for k in range(5))
            listed = await cluster.call(
                client, "GET", "/api/auth/list-sessions", ip=f"192.0.2.{u + 1}", cookie=cookies[u]
            )
            tokens = {s["token"] for s in listed.json()}
            assert len(tokens) == 4  # the sign-up's session and three concurrent sign-ins, none dropped
            assert len(tokens & new_tokens) == 3
