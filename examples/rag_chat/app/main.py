"""The RAG-chat API: ``uvicorn examples.rag_chat.app.main:app`` (SQLite by default, ``DATABASE_URL`` for PostgreSQL).

Environment: ``DATABASE_URL``, ``BETTER_AUTH_SECRET``, ``BETTER_AUTH_URL``, ``BETTER_AUTH_TRUSTED_ORIGINS``
(default ``http://localhost:3000``), ``RAG_RETENTION_DAYS`` (30; ``0`` turns the purge off),
``RAG_PURGE_INTERVAL`` (seconds between purges, 3600), ``RAG_CREATE_SCHEMA`` (``1``; ``0`` with Alembic),
``REDIS_URL`` (optional: sessions, rate limits and lockouts in Redis; ``REDIS_KEY_PREFIX``, default ``better-auth:``),
``LOG_FORMAT=json`` (JSON logs with request ids).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from fastapi_betterauth import (
    AuthHooks,
    AuthSettings,
    BetterAuth,
    PasswordHasher,
    RequestLogMiddleware,
    SQLAlchemyAdapter,
    User,
    admin,
    bearer,
    configure_json_logging,
    create_engine,
    install_error_handlers,
    jwt,
)

from . import admin as admin_routes
from . import routes, store
from .generator import AnswerGenerator, ExtractiveGenerator
from .models import metadata
from .retention import purge_periodically
from .retrieval import BM25Index, load_passages

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./rag-chat.db"


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def create_app(
    settings: AuthSettings | None = None,
    database_url: str | None = None,
    *,
    generator: AnswerGenerator | None = None,
    retention_days: float | None = None,
    purge_interval: float | None = None,
    create_schema: bool | None = None,
    password_hasher: PasswordHasher | None = None,
) -> FastAPI:
    """The auth routes under ``/api/auth``, chat under ``/api/conversations``, usage under ``/api/admin``.

    ``generator``: the answer generator (default: offline, extractive). ``retention_days``: age after which
    conversations are purged by the in-process task (``0``/``None`` from the environment: 30 days).
    """
    if settings is None:
        origins = os.environ.get("BETTER_AUTH_TRUSTED_ORIGINS", "http://localhost:3000")
        settings = AuthSettings(trusted_origins=origins, user={"delete_user": {"enabled": True}})
    if create_schema is None:
        create_schema = os.environ.get("RAG_CREATE_SCHEMA", "1") != "0"
    days = _env_float("RAG_RETENTION_DAYS", 30) if retention_days is None else retention_days
    interval = _env_float("RAG_PURGE_INTERVAL", 3600) if purge_interval is None else purge_interval
    engine = create_engine(database_url or os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))

    async def purge_chat_data(user: User) -> None:
        # The library's delete-user flow (and admin remove-user) calls this before the user row goes.
        await store.delete(engine, user.id)

    storage = None
    if os.environ.get("REDIS_URL"):  # sessions, rate limits and lockouts shared by every worker
        from fastapi_betterauth import RedisStorage  # the [redis] extra: only needed when REDIS_URL is set

        storage = RedisStorage(os.environ["REDIS_URL"], key_prefix=os.environ.get("REDIS_KEY_PREFIX", "better-auth:"))
    auth = BetterAuth(
        settings,
        adapter=SQLAlchemyAdapter(engine),
        plugins=[bearer(), jwt(), admin()],
        hooks=AuthHooks(before_delete_user=purge_chat_data),
        password_hasher=password_hasher,
        secondary_storage=storage,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, object]]:
        async with auth.lifespan(app) as state:
            if create_schema:
                await auth.create_schema()
                async with engine.begin() as conn:
                    await conn.run_sync(metadata.create_all)
            purger = asyncio.create_task(purge_periodically(engine, days, interval)) if days > 0 else None
            try:
                yield state
            finally:
                if purger is not None:
                    purger.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await purger
        await engine.dispose()

    app = FastAPI(
        title="RAG chat API",
        description="Conversations with a retrieval-augmented assistant, behind fastapi-betterauth.",
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.auth = auth
    app.state.index = BM25Index(load_passages())
    app.state.generator = generator or ExtractiveGenerator()
    install_error_handlers(app)  # every failure as {message, code}, like the auth routes
    auth.add_cors(app)  # the frontend's origin (BETTER_AUTH_TRUSTED_ORIGINS), set-auth-token/-jwt exposed
    app.include_router(auth.router)
    app.include_router(routes.router)
    app.include_router(admin_routes.router)
    app.include_router(auth.health_router())  # GET /health/live and /health/ready, for load balancers
    if os.environ.get("LOG_FORMAT") == "json":
        # One JSON object per line, each with the request's id; access lines name the route, not the raw path.
        configure_json_logging()
        app.add_middleware(RequestLogMiddleware)
    return app


app = create_app()
