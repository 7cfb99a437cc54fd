"""Shared fixtures: worlds are built with factories (``make_auth``, ``make_app``, ``make_client``).

Every HTTP test runs against each storage backend: memory, SQLite (a real file) and PostgreSQL
(a fresh database per test; skipped without a server locally, required in CI).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from fastapi_betterauth import AuthSettings, BetterAuth, MemoryAdapter, SQLAlchemyAdapter
from fastapi_betterauth.crypto.passwords import ScryptHasher
from tests._services import asyncpg_url, create_postgres_database, drop_postgres_database

SECRET = "test-secret-0123456789abcdef0123456789abcdef"
BASE_URL = "http://localhost:8000"
TRUSTED = "http://localhost:3000"
ORIGIN = {"Origin": TRUSTED}


class FastTestHasher(ScryptHasher):
    """SHA-256 instead of scrypt: Better Auth's test instance does the same to keep suites fast.

    Real scrypt runs in tests/crypto and in the end-to-end hashing tests.
    """

    def hash(self, password: str) -> str:
        return "test$" + hashlib.sha256(password.encode()).hexdigest()

    def verify(self, password_hash: str, password: str) -> bool:
        if password_hash.startswith("test$"):
            return password_hash == self.hash(password)
        return super().verify(password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith("test$")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True, scope="session")
def _dev_secret_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Development without a secret keeps one in a file: never in the checkout during tests.

    Set in the process environment for the whole session, so servers the tests start inherit it too.
    """
    previous = os.environ.get("BETTER_AUTH_DEV_SECRET_FILE")
    os.environ["BETTER_AUTH_DEV_SECRET_FILE"] = str(tmp_path_factory.getbasetemp() / "dev-secret" / "secret")
    yield
    if previous is None:
        os.environ.pop("BETTER_AUTH_DEV_SECRET_FILE", None)
    else:
        os.environ["BETTER_AUTH_DEV_SECRET_FILE"] = previous


def make_settings(**overrides: Any) -> AuthSettings:
    # environment="test": no rate limits unless a test turns them on (they are on in development).
    values: dict[str, Any] = {
        "secret": SECRET,
        "base_url": BASE_URL,
        "trusted_origins": [TRUSTED],
        "environment": "test",
    }
    values.update(overrides)
    return AuthSettings(**values)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Callable[[], Any]]:
    """A factory of fresh adapters on one storage backend."""
    kind = request.param
    dsn: str | None = None
    if kind == "postgres":
        dsn = await create_postgres_database()
    counter = iter(range(1000))

    def factory() -> Any:
        if kind == "memory":
            return MemoryAdapter()
        if kind == "sqlite":
            return SQLAlchemyAdapter(f"sqlite+aiosqlite:///{tmp_path}/auth-{next(counter)}.db")
        assert dsn is not None
        return SQLAlchemyAdapter(asyncpg_url(dsn))

    factory.kind = kind  # type: ignore[attr-defined]
    yield factory
    if dsn is not None:
        await drop_postgres_database(dsn)


@pytest.fixture
async def make_client(backend: Callable[[], Any]) -> AsyncIterator[Callable[..., Any]]:
    """``await make_client(**settings)`` -> (client, auth): an httpx client on a fresh app."""
    async with AsyncExitStack() as stack:

        async def make(
            plugins: Any = (),
            hasher: Any = None,
            app: Callable[[BetterAuth], FastAPI] | None = None,
            auth_options: dict[str, Any] | None = None,
            **overrides: Any,
        ) -> Any:
            """``app``: a factory building the app around the new ``auth`` (default: router only).

            ``auth_options``: extra ``BetterAuth(...)`` arguments (``email_sender``, ``hooks``...).
            """
            adapter = backend()
            auth = BetterAuth(
                make_settings(**overrides),
                adapter=adapter,
                plugins=plugins,
                password_hasher=hasher or FastTestHasher(),
                **(auth_options or {}),
            )
            await auth.create_schema()
            if app is None:
                application = FastAPI()
                application.include_router(auth.router)
            else:
                application = app(auth)
            manager = await stack.enter_async_context(LifespanManager(application))
            # manager.app passes the lifespan state (where dependencies find `auth`) into each request.
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url=BASE_URL)
            await stack.enter_async_context(client)
            return client, auth

        yield make


@pytest.fixture
async def client_auth(make_client: Callable[..., Any]) -> tuple[httpx.AsyncClient, BetterAuth]:
    return await make_client()  # type: ignore[no-any-return]


@pytest.fixture
def client(client_auth: tuple[httpx.AsyncClient, BetterAuth]) -> httpx.AsyncClient:
    return client_auth[0]


@pytest.fixture
def auth(client_auth: tuple[httpx.AsyncClient, BetterAuth]) -> BetterAuth:
    return client_auth[1]


async def sign_up(
    client: httpx.AsyncClient,
    email: str = "alice@example.com",
    password: str = "password123",
    name: str = "Alice",
    **extra: Any,
) -> httpx.Response:
    """Sign up over HTTP; the client keeps the session cookie."""
    response = await client.post(
        "/api/auth/sign-up/email", json={"email": email, "password": password, "name": name, **extra}
    )
    assert response.status_code == 200, response.text
    return response
