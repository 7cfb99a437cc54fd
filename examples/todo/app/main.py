"""The todo API: ``uvicorn examples.todo.app.main:app`` (SQLite by default, ``DATABASE_URL`` for PostgreSQL).

Environment: ``DATABASE_URL``, ``BETTER_AUTH_SECRET``, ``BETTER_AUTH_URL``, ``BETTER_AUTH_TRUSTED_ORIGINS``
(the Next.js origin, default ``http://localhost:3000``), ``TODO_CREATE_SCHEMA`` (``1`` by default: create
missing tables at startup; set ``0`` when ``alembic upgrade heads`` manages them), ``REDIS_URL`` (optional:
sessions, rate limits and lockouts in Redis, shared by every worker; ``REDIS_KEY_PREFIX`` defaults to
Better Auth's ``better-auth:``). Several workers (``uvicorn --workers 4``) need ``REDIS_URL``, or
``BETTER_AUTH_RATE_LIMIT__STORAGE=database``, for limits to count across them. ``LOG_FORMAT=json``: JSON logs
with request ids.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from fastapi import FastAPI

from fastapi_betterauth import (
    AuthHooks,
    AuthSettings,
    BetterAuth,
    JWTVerifier,
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
from . import routes
from .models import metadata, tasks

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./todo-demo.db"


def create_app(
    settings: AuthSettings | None = None,
    database_url: str | None = None,
    *,
    create_schema: bool | None = None,
    password_hasher: PasswordHasher | None = None,
) -> FastAPI:
    """The auth routes under ``/api/auth``, the task routes under ``/api/tasks``, admin views under ``/api/admin``.

    A frontend may prove who it is with the session cookie (Better Auth client in the browser), the
    bearer session token (``set-auth-token``), the jwt plugin's EdDSA JWT (``/api/auth/token``), or an
    HS256 JWT signed with ``BETTER_AUTH_SECRET`` (a frontend's own tokens): all four reach ``CurrentUser``.
    """
    if settings is None:
        origins = os.environ.get("BETTER_AUTH_TRUSTED_ORIGINS", "http://localhost:3000")
        # Users may delete their account (and, through the hook below, their tasks).
        settings = AuthSettings(trusted_origins=origins, user={"delete_user": {"enabled": True}})
    if create_schema is None:
        create_schema = os.environ.get("TODO_CREATE_SCHEMA", "1") != "0"
    # One engine serves both the auth tables and the app's own table.
    engine = create_engine(database_url or os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))

    async def delete_tasks_of(user: User) -> None:
        # Called by the library's delete-user flow (and admin remove-user) before the user row goes.
        async with engine.begin() as conn:
            await conn.execute(sa.delete(tasks).where(tasks.c.user_id == user.id))

    # A Next.js frontend may sign its own HS256 JWTs with the shared BETTER_AUTH_SECRET. Only with a real secret:
    # the development default is public, and tokens signed with it would prove nothing.
    shared_secret = [JWTVerifier(secret=settings.secret.get_secret_value())] if settings.secret else []
    storage = None
    if os.environ.get("REDIS_URL"):
        from fastapi_betterauth import RedisStorage  # the [redis] extra: only needed when REDIS_URL is set

        storage = RedisStorage(os.environ["REDIS_URL"], key_prefix=os.environ.get("REDIS_KEY_PREFIX", "better-auth:"))
    auth = BetterAuth(
        settings,
        adapter=SQLAlchemyAdapter(engine),
        plugins=[bearer(), jwt(), admin()],
        password_hasher=password_hasher,
        hooks=AuthHooks(before_delete_user=delete_tasks_of),
        jwt_verifiers=shared_secret,
        secondary_storage=storage,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, object]]:
        async with auth.lifespan(app) as state:
            if create_schema:
                # Development convenience; deployments run `alembic upgrade heads` (see the README).
                await auth.create_schema()
                async with engine.begin() as conn:
                    await conn.run_sync(metadata.create_all)
            yield state
        await engine.dispose()

    app = FastAPI(
        title="Todo API",
        description="Per-user tasks behind Better Auth compatible authentication (fastapi-betterauth).",
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.auth = auth
    auth.add_cors(app)  # the frontend's origin (BETTER_AUTH_TRUSTED_ORIGINS), set-auth-token/-jwt exposed
    install_error_handlers(app)  # every failure as {message, code}, like the auth routes
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
