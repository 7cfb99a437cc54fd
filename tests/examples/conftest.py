"""The examples on a real database: a SQLite file, or a fresh PostgreSQL database (required in CI).

Each example's conftest provides ``create_app``, the factory ``ExampleWorld`` starts instances with.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from tests._services import asyncpg_url, create_postgres_database, drop_postgres_database
from tests.conftest import BASE_URL, ORIGIN, SECRET, FastTestHasher, make_settings

__all__ = ["ORIGIN", "SECRET", "ExampleWorld"]


class ExampleWorld:
    """One database, any number of app instances on it (a restart is a new instance on the same data)."""

    def __init__(self, create_app: Callable[..., Any], database_url: str, stack: AsyncExitStack) -> None:
        self.create_app = create_app
        self.database_url = database_url
        self._stack = stack
        self.app: Any = None
        self._app: Any = None

    async def start(
        self, *, create_schema: bool = True, options: dict[str, Any] | None = None, **settings: Any
    ) -> httpx.AsyncClient:
        """A new app instance on the database, and a client to it (cookies kept per client)."""
        # Real scrypt is tested elsewhere; a fast hasher keeps 50+ concurrent sign-ups quick.
        settings.setdefault("user", {"delete_user": {"enabled": True}})  # as the app's own default
        app = self.create_app(
            make_settings(**settings),
            database_url=self.database_url,
            create_schema=create_schema,
            password_hasher=FastTestHasher(),
            **(options or {}),
        )
        manager = LifespanManager(app)
        await self._stack.enter_async_context(manager)
        self._app = app
        self.app = manager.app  # carries the lifespan state the dependencies read
        return await self.client()

    async def client(self) -> httpx.AsyncClient:
        # as a real server: a 500 is an answer to the client, not an exception in the test
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        return await self._stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url=BASE_URL))

    def app_auth(self) -> Any:
        """The running instance's ``BetterAuth`` (what a test uses in place of an admin bootstrap)."""
        return self._app.state.auth

    def app_engine(self) -> Any:
        """The running instance's SQLAlchemy engine."""
        return self._app.state.engine

    async def stop(self) -> None:
        """Shut every running instance down (lifespan exit, engine disposed): the restart half of a test."""
        await self._stack.aclose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def world(
    request: pytest.FixtureRequest, tmp_path: Path, create_app: Callable[..., Any]
) -> AsyncIterator[Callable[[], ExampleWorld]]:
    dsn: str | None = None
    if request.param == "postgres":
        dsn = await create_postgres_database()
        url = asyncpg_url(dsn)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path}/todo.db"
    stacks: list[AsyncExitStack] = []

    def factory() -> ExampleWorld:
        stack = AsyncExitStack()
        stacks.append(stack)
        return ExampleWorld(create_app, url, stack)

    factory.kind = request.param  # type: ignore[attr-defined]
    try:
        yield factory
    finally:
        for stack in reversed(stacks):
            await stack.aclose()
        if dsn is not None:
            await drop_postgres_database(dsn)


@pytest.fixture
async def fresh(world: Callable[[], ExampleWorld]) -> httpx.AsyncClient:
    """A client of a fresh app instance."""
    return await world().start()


async def sign_up(client: httpx.AsyncClient, email: str, password: str = "password123") -> dict[str, Any]:
    """Sign a new user up on ``client`` (its cookie jar then holds the session); the response body."""
    r = await client.post(
        "/api/auth/sign-up/email", json={"email": email, "password": password, "name": email}, headers=ORIGIN
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body
