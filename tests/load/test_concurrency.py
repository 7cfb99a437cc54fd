"""Bounded load on loopback: concurrent sign-ups and sign-ins lose nothing, and hashing never blocks.

The real throughput and latency figures live in the benchmarks (``nox -s bench``); these tests assert
correctness and ordering with generous bounds.
"""

from __future__ import annotations

import time

import anyio
import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests.load.conftest import Server

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
ORIGIN = {"Origin": "http://localhost:3000"}
USERS = 50


async def _count(database_url: str) -> dict[str, int]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            return {
                table: int((await conn.execute(sa.text(f'select count(*) from "{table}"'))).scalar_one())
                for table in ("user", "account", "session")
            }
    finally:
        await engine.dispose()


async def test_concurrent_sign_ups_and_sign_ins_lose_nothing(loopback_server: Server) -> None:
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(base_url=loopback_server.url, timeout=60, limits=limits) as client:
        statuses: list[int] = []

        async def sign_up(i: int) -> None:
            r = await client.post(
                "/api/auth/sign-up/email",
                headers=ORIGIN,
                json={"email": f"user{i}@example.com", "password": "password123", "name": f"U{i}"},
            )
            statuses.append(r.status_code)

        async def sign_in(i: int) -> None:
            r = await client.post(
                "/api/auth/sign-in/email",
                headers=ORIGIN,
                json={"email": f"user{i}@example.com", "password": "password123"},
            )
            statuses.append(r.status_code)

        async with anyio.create_task_group() as tg:
            for i in range(USERS):
                tg.start_soon(sign_up, i)
        async with anyio.create_task_group() as tg:
            for i in range(USERS):
                tg.start_soon(sign_in, i)
                # A duplicate sign-up racing the first ones must be refused, not duplicated.
                if i % 10 == 0:
                    tg.start_soon(sign_up, i)

    assert statuses.count(200) == 2 * USERS
    assert statuses.count(422) == USERS // 10
    assert len(statuses) == 2 * USERS + USERS // 10
    assert await _count(loopback_server.database_url) == {"user": USERS, "account": USERS, "session": 2 * USERS}


async def test_trivial_request_is_not_delayed_by_twenty_sign_ins(loopback_server: Server) -> None:
    async with httpx.AsyncClient(base_url=loopback_server.url, timeout=60) as client:
        r = await client.post(
            "/api/auth/sign-up/email",
            headers=ORIGIN,
            json={"email": "busy@example.com", "password": "password123", "name": "Busy"},
        )
        assert r.status_code == 200
        done: list[tuple[str, float]] = []
        start = time.perf_counter()

        async def sign_in() -> None:
            resp = await client.post(
                "/api/auth/sign-in/email", headers=ORIGIN, json={"email": "busy@example.com", "password": "password123"}
            )
            assert resp.status_code == 200
            done.append(("sign-in", time.perf_counter() - start))

        async def ok() -> None:
            await anyio.sleep(0.05)  # let the sign-ins reach the hashing pool first
            t0 = time.perf_counter()
            resp = await client.get("/api/auth/ok")
            assert resp.status_code == 200
            done.append(("ok", time.perf_counter() - t0))

        async with anyio.create_task_group() as tg:
            for _ in range(20):
                tg.start_soon(sign_in)
            tg.start_soon(ok)

    order = [name for name, _ in done]
    ok_latency = next(t for name, t in done if name == "ok")
    # Twenty scrypt verifications take over a second of CPU; /ok must not wait behind them.
    assert order.index("ok") < 10, order
    assert ok_latency < 0.5, ok_latency
