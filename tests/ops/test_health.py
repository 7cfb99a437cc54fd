"""Liveness and readiness: what each checks, the 503 naming the failed check, and nothing secret in it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from fastapi_betterauth import (
    BetterAuth,
    JWTVerifier,
    MemoryAdapter,
    MemoryStorage,
    RedisStorage,
    ResourceServer,
    SessionVerifier,
    jwt,
)
from tests._services import redis_storage
from tests.conftest import BASE_URL, SECRET, FastTestHasher, make_settings

pytestmark = pytest.mark.anyio


def _refused_port() -> int:
    """A port nothing listens on (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serve(instance: Any, **router_options: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI(lifespan=instance.lifespan)
    if isinstance(instance, BetterAuth):
        app.include_router(instance.router)
    app.include_router(instance.health_router(**router_options))
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url=BASE_URL) as client,
    ):
        yield client


async def test_sqlite_ready_and_live(tmp_path: Path) -> None:
    auth = BetterAuth(make_settings(), database=f"sqlite+aiosqlite:///{tmp_path}/app.db")
    await auth.create_schema()
    async with serve(auth) as client:
        live = await client.get("/health/live")
        assert (live.status_code, live.json()) == (200, {"status": "ok"})
        ready = await client.get("/health/ready")
        assert (ready.status_code, ready.json()) == (200, {"status": "ok", "checks": {"database": "ok"}})
        assert ready.headers["cache-control"] == "no-store"


async def test_in_memory_sqlite_and_memory_storage(tmp_path: Path) -> None:
    auth = BetterAuth(make_settings(), database="sqlite+aiosqlite://", secondary_storage=MemoryStorage())
    await auth.create_schema()
    async with serve(auth) as client:
        ready = await client.get("/health/ready")
        assert ready.json() == {"status": "ok", "checks": {"database": "ok", "secondary_storage": "ok"}}


async def test_memory_adapter_and_configurable_paths() -> None:
    auth = BetterAuth(make_settings(), adapter=MemoryAdapter())
    async with serve(auth, live_path="/livez", ready_path="/readyz") as client:
        assert (await client.get("/livez")).json() == {"status": "ok"}
        assert (await client.get("/readyz")).json() == {"status": "ok", "checks": {"database": "ok"}}
        assert (await client.get("/health/ready")).status_code == 404


async def test_redis_down_is_not_ready_and_names_redis(tmp_path: Path) -> None:
    password = "hunter2-redis-password"
    storage = RedisStorage(f"redis://:{password}@127.0.0.1:{_refused_port()}/0", timeout=0.5)
    auth = BetterAuth(make_settings(), database=f"sqlite+aiosqlite:///{tmp_path}/app.db", secondary_storage=storage)
    await auth.create_schema()
    async with serve(auth) as client:
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        body = ready.json()
        assert body["status"] == "unavailable"
        assert body["checks"] == {"database": "ok", "redis": "unavailable"}
        assert set(body["errors"]) == {"redis"} and body["errors"]["redis"].startswith("StorageUnavailableError")
        assert password not in ready.text and "127.0.0.1" not in ready.text  # class names only
        assert (await client.get("/health/live")).status_code == 200


@pytest.mark.redis
async def test_redis_up_is_ready(tmp_path: Path) -> None:
    storage: Any = await redis_storage()
    auth = BetterAuth(make_settings(), database=f"sqlite+aiosqlite:///{tmp_path}/app.db", secondary_storage=storage)
    await auth.create_schema()
    async with serve(auth) as client:
        ready = await client.get("/health/ready")
        assert ready.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


async def test_a_database_that_never_answers_times_out(tmp_path: Path) -> None:
    """A host that accepts connections and then says nothing (a hung server, a black hole): 503 within the timeout."""
    silent: list[asyncio.StreamWriter] = []

    async def accept_and_say_nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        silent.append(writer)

    server = await asyncio.start_server(accept_and_say_nothing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    auth = BetterAuth(make_settings(), database=f"postgresql+asyncpg://postgres@127.0.0.1:{port}/app")
    try:
        async with serve(auth, timeout=0.3) as client:
            started = asyncio.get_running_loop().time()
            ready = await client.get("/health/ready")
            assert asyncio.get_running_loop().time() - started < 2
            assert ready.status_code == 503
            assert ready.json()["errors"] == {"database": "TimeoutError"}
            assert (await client.get("/health/live")).status_code == 200
    finally:
        for writer in silent:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_health_routes_are_not_rate_limited(tmp_path: Path) -> None:
    settings = make_settings(rate_limit={"enabled": True, "window": 60, "max": 2})
    auth = BetterAuth(settings, database=f"sqlite+aiosqlite:///{tmp_path}/app.db")
    await auth.create_schema()
    async with serve(auth) as client:
        for _ in range(3):
            assert (await client.get("/api/auth/ok")).status_code in (200, 429)
        assert (await client.get("/api/auth/ok")).status_code == 429  # the limiter is on...
        for _ in range(10):  # ...and the probes a load balancer sends every few seconds never meet it
            assert (await client.get("/health/ready")).status_code == 200
            assert (await client.get("/health/live")).status_code == 200


def _issuer_app() -> tuple[BetterAuth, FastAPI]:
    issuer = BetterAuth(make_settings(), adapter=MemoryAdapter(), plugins=[jwt()], password_hasher=FastTestHasher())
    app = FastAPI(lifespan=issuer.lifespan)
    app.include_router(issuer.router)
    return issuer, app


async def test_resource_server_is_ready_once_it_has_the_issuers_keys() -> None:
    """A fresh resource server has no keys until a token arrives: readiness fetches them."""
    _, issuer_app = _issuer_app()
    async with LifespanManager(issuer_app) as issuer:
        keys_client = httpx.AsyncClient(transport=httpx.ASGITransport(app=issuer.app))
        verifier = JWTVerifier(jwks_url=f"{BASE_URL}/api/auth/jwks", client=keys_client)
        assert verifier.jwks_state.status == "unavailable"
        async with serve(ResourceServer(jwt=verifier)) as client:
            ready = await client.get("/health/ready")
            assert (ready.status_code, ready.json()) == (200, {"status": "ok", "checks": {"jwks": "ok"}})
        assert verifier.jwks_state.status == "fresh"
        await keys_client.aclose()


async def test_resource_server_without_the_issuers_keys_is_not_ready(tmp_path: Path) -> None:
    verifier = JWTVerifier(jwks_url=f"http://127.0.0.1:{_refused_port()}/api/auth/jwks", timeout=1)
    sessions = SessionVerifier(secret=SECRET, database=f"sqlite+aiosqlite:///{tmp_path}/issuer.db")
    await sessions.adapter.create_schema()
    async with serve(ResourceServer(jwt=verifier, sessions=sessions)) as client:
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json() == {
            "status": "unavailable",
            "checks": {"database": "ok", "jwks": "unavailable"},
            "errors": {"jwks": "JWKSUnavailableError"},
        }
        assert (await client.get("/health/live")).status_code == 200


async def test_resource_server_with_static_keys_has_nothing_to_wait_for() -> None:
    verifier = JWTVerifier(secret=SECRET)
    async with serve(ResourceServer(jwt=verifier)) as client:
        assert (await client.get("/health/ready")).json() == {"status": "ok", "checks": {}}
