"""Logs never carry SQL parameters, emails, tokens or passwords (review finding 8).

Before, a database error inside a route was logged with ``logger.exception``: SQLAlchemy's message quotes
the statement's parameters, so the log held the email being looked up.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError

from fastapi_betterauth import BetterAuth, SQLAlchemyAdapter, redacted_traceback
from tests._services import asyncpg_url, create_postgres_database, drop_postgres_database
from tests.conftest import BASE_URL, FastTestHasher, make_settings

pytestmark = pytest.mark.anyio
EMAIL = "secret-victim@example.com"
PASSWORD = "hunter2-very-secret"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/broken.db"
        return
    dsn = await create_postgres_database()
    yield asyncpg_url(dsn)
    await drop_postgres_database(dsn)


async def test_a_database_error_logs_no_user_data(database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    auth = BetterAuth(make_settings(), database=database_url, password_hasher=FastTestHasher())
    await auth.create_schema()
    app = FastAPI()
    app.include_router(auth.router)
    assert isinstance(auth.adapter, SQLAlchemyAdapter)
    async with auth.adapter.engine.begin() as conn:
        await conn.exec_driver_sql('DROP TABLE "account"')
        await conn.exec_driver_sql('DROP TABLE "session"')
        await conn.exec_driver_sql('DROP TABLE "user"')
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url=BASE_URL) as client,
    ):
        with caplog.at_level(logging.INFO):  # (drivers log their parameters at DEBUG: that is theirs to set)
            r = await client.post("/api/auth/sign-in/email", json={"email": EMAIL, "password": PASSWORD})
    assert r.status_code == 500
    assert r.json() == {"message": "Internal Server Error", "code": "INTERNAL_SERVER_ERROR"}
    assert "unhandled error in POST /sign-in/email" in caplog.text  # the failure itself is logged...
    assert "Traceback" in caplog.text and "message withheld" in caplog.text
    for secret in (EMAIL, "secret-victim", PASSWORD):  # ...without the data it was about
        assert secret not in caplog.text


def test_redacted_traceback_keeps_types_and_frames_not_messages() -> None:
    def lookup() -> None:
        try:
            raise ValueError(f"no user {EMAIL}")
        except ValueError as inner:
            raise IntegrityError("INSERT ...", {"email": EMAIL}, Exception(f"Key (email)=({EMAIL})")) from inner

    try:
        lookup()
    except IntegrityError as error:
        text = redacted_traceback(error)
    assert EMAIL not in text
    assert "builtins.ValueError" in text and "sqlalchemy.exc.IntegrityError" in text
    assert "in lookup" in text and "which led to" in text
