"""The todo example under uvicorn with 4 workers on PostgreSQL + Redis: limits, lockout and revocation hold
across workers, and 200 concurrent mixed requests lose nothing.

Requests go over fresh connections (no keep-alive), so the kernel hands them to different workers; every
answer names its worker (``X-Worker-Pid``) and each phase checks it really reached more than one. The test
client acts as the deployment's proxy (``trusted_proxies=127.0.0.1``) and names the client in
``X-Forwarded-For``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
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
    url: str
    pids: set[str] = field(default_factory=set)

    def client(self) -> httpx.AsyncClient:
        # no keep-alive: each request is a new connection, which any worker may accept
        limits = httpx.Limits(max_keepalive_connections=0, max_connections=300)
        return httpx.AsyncClient(base_url=self.url, limits=limits, timeout=60, headers={"Origin": ORIGIN})

    async def call(
        self, client: httpx.AsyncClient, method: str, path: str, *, ip: str, cookie: str | None = None, json: Any = None
    ) -> httpx.Response:
        headers = {"X-Forwarded-For": ip, **({"Cookie": cookie} if cookie else {})}
        response = await client.request(method, path, headers=headers, json=json)
        self.pids.add(response.headers.get("x-worker-pid", "?"))
        return response


def _redis_keys_gone(prefix: str) -> None:
    import redis

    with redis.Redis.from_url(REDIS_URL) as client:
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    import redis

    try:
        with redis.Redis.from_url(REDIS_URL) as probe:
            probe.ping()
    except redis.RedisError as exc:
        unavailable(f"Redis not reachable at {REDIS_URL}: {exc}")
    dsn = anyio.run(create_postgres_database)
    prefix = f"workers-{secrets.token_hex(4)}:"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
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
        "BETTER_AUTH_URL": url,
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
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tests.load.todo_workers:app",
            "--port",
            str(port),
            "--workers",
            str(WORKERS),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_until_serving(url, proc, timeout=60)
        time.sleep(1.0)  # let every worker finish starting
        yield Cluster(url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        anyio.run(drop_postgres_database, dsn)
        _redis_keys_gone(prefix)


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


async def test_limits_lockout_and_revocation_hold_across_workers(cluster: Cluster) -> None:
    async with cluster.client() as client:
        # -- the sign-up limit (3 per 10 s per client) counts across workers, not 4x --------------
        cluster.pids.clear()
        signups = [
            await cluster.call(
                client,
                "POST",
                "/api/auth/sign-up/email",
                ip="203.0.113.1",
                json={"email": f"burst{i}@example.com", "password": PASSWORD, "name": "B"},
            )
            for i in range(12)
        ]
        assert [r.status_code for r in signups].count(200) == 3, [r.status_code for r in signups]
        assert {r.status_code for r in signups[3:]} == {429}
        assert len(cluster.pids) > 1, "the requests never reached a second worker"

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
        assert len(cluster.pids) > 1
        right = {"email": "lock@example.com", "password": PASSWORD}
        locked = await cluster.call(client, "POST", "/api/auth/sign-in/email", ip="198.51.100.2", json=right)
        assert locked.status_code == 429 and locked.json()["code"] == "ACCOUNT_TEMPORARILY_LOCKED"

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
        before = [await cluster.call(client, "GET", "/api/tasks", ip="198.51.100.3", cookie=cookie) for _ in range(8)]
        assert {b.status_code for b in before} == {200}
        out = await cluster.call(client, "POST", "/api/auth/sign-out", ip="198.51.100.3", cookie=cookie, json={})
        assert out.json() == {"success": True}
        after = [await cluster.call(client, "GET", "/api/tasks", ip="198.51.100.3", cookie=cookie) for _ in range(20)]
        assert {a.status_code for a in after} == {401}
        assert len(cluster.pids) > 1


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
