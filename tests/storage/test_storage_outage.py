"""A Redis outage answers 503 STORAGE_UNAVAILABLE (never 401, never a cleared cookie) and heals by itself.

Redis is cut off through a TCP relay the test controls, so the data survives the outage as it does in a
real network partition or failover.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI

from fastapi_betterauth import CurrentUser
from tests._services import REDIS_URL, drop_redis_keys, redis_storage
from tests.conftest import ORIGIN

pytestmark = [pytest.mark.anyio, pytest.mark.redis]
API = "/api/auth"


class Relay:
    """A TCP relay to Redis that can be cut and restored on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.links):
            writer.close()
        self.links.clear()
        await self.server.wait_closed()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.links |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@pytest.fixture
async def relay() -> AsyncIterator[Relay]:
    probe = await redis_storage()  # skips (locally) or fails (CI) without Redis
    await probe.close()  # type: ignore[attr-defined]
    host, _, port = REDIS_URL.removeprefix("redis://").partition("/")[0].partition(":")
    server = Relay((host, int(port or 6379)))
    await server.start()
    yield server
    if server.server is not None:
        server.server.close()


def app_with_a_protected_route(auth: Any) -> FastAPI:
    app = FastAPI(lifespan=auth.lifespan)
    app.include_router(auth.router)

    @app.get("/api/me")
    async def me(user: CurrentUser) -> dict[str, str]:
        return {"id": user.id}

    return app


async def test_outage_is_a_clear_503_and_nothing_is_lost(make_client: Any, relay: Relay) -> None:
    from fastapi_betterauth.storage import RedisStorage

    storage = RedisStorage(f"redis://127.0.0.1:{relay.port}/0", key_prefix=f"outage-{secrets.token_hex(4)}:", timeout=1)
    client, _ = await make_client(
        auth_options={"secondary_storage": storage}, app=app_with_a_protected_route, rate_limit={"enabled": True}
    )
    client.headers.update(ORIGIN)
    r = await client.post(
        f"{API}/sign-up/email", json={"email": "a@example.com", "password": "password123", "name": "A"}
    )
    assert r.status_code == 200
    token = r.json()["token"]
    assert (await client.get("/api/me")).status_code == 200

    await relay.cut()
    for answer in (
        await client.get(f"{API}/get-session"),
        await client.post(f"{API}/sign-in/email", json={"email": "a@example.com", "password": "password123"}),
        await client.get("/api/me"),
    ):
        assert answer.status_code == 503, answer.text
        assert answer.json()["code"] == "STORAGE_UNAVAILABLE"
        assert answer.headers["retry-after"] == "5"
        assert "set-cookie" not in answer.headers  # the browser keeps its session through the outage

    await relay.start()  # Redis is back (same data): the same cookie works again, no sign-in needed
    session = (await client.get(f"{API}/get-session")).json()
    assert session["session"]["token"] == token
    assert (await client.get("/api/me")).status_code == 200
    await drop_redis_keys(RedisStorage(REDIS_URL, key_prefix=storage.key_prefix))
