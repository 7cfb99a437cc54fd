"""The todo API: ``uvicorn examples.todo.app.main:app`` (SQLite by default, ``DATABASE_URL`` for PostgreSQL).

Environment: ``DATABASE_URL``, ``BETTER_AUTH_SECRET``, ``BETTER_AUTH_URL``, ``BETTER_AUTH_TRUSTED_ORIGINS``
(the Next.js origin, default ``http://localhost:3000``), ``TODO_CREATE_SCHEMA`` (``1`` by default: create
missing tables at startup; set ``0`` when ``alembic upgrade heads`` manages them), ``REDIS_URL`` (optional:
sessions, rate limits and lockouts in Redis, shared by every worker; ``REDIS_KEY_PREFIX`` defaults to
Better Auth's ``better-auth:``). Several workers (``uvicorn --workers 4``) need ``REDIS_URL``, or
``BETTER_AUTH_RATE_LIMIT__STORAGE=database``, for limits to count across them. ``LOG_FORMAT=json``: JSON logs
with request ids.

Opt-in, for the Next.js frontend in ``web/`` (nothing changes without them): ``TODO_OUTBOX`` (a file: mails are
appended to it as JSON lines, ``FileOutboxSender``, and sign-up then requires email verification, the link signing
the user in), ``TODO_PASSWORD_RULES=1`` (``password_complexity()``: 8+ characters, mixed case, a digit),
``TODO_JWT_EXPIRES_IN`` (the jwt plugin's token lifetime, seconds or ``"15m"``), ``TODO_ADMIN_EMAILS`` (comma
separated: these users get the ``admin`` role when they verify their email), ``OIDC_DISCOVERY_URL`` +
``OIDC_CLIENT_ID`` (+ ``OIDC_CLIENT_SECRET``, ``OIDC_PROVIDER_ID`` default ``local``): "sign in with" that OpenID
Connect provider.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI

from fastapi_betterauth import (
    AuthHooks,
    AuthSettings,
    BetterAuth,
    FileOutboxSender,
    JWTVerifier,
    PasswordHasher,
    Plugin,
    RequestLogMiddleware,
    SQLAlchemyAdapter,
    User,
    Where,
    admin,
    bearer,
    configure_json_logging,
    create_engine,
    generic_oauth,
    install_error_handlers,
    jwt,
    oidc,
    password_complexity,
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
        extra: dict[str, Any] = {}
        if os.environ.get("TODO_OUTBOX"):
            # The verification link signs the user in and returns to the frontend (its callbackURL).
            extra["email_and_password"] = {"require_email_verification": True}
            extra["email_verification"] = {"auto_sign_in_after_verification": True}
        settings = AuthSettings(trusted_origins=origins, user={"delete_user": {"enabled": True}}, **extra)
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
    adapter = SQLAlchemyAdapter(engine)
    admin_emails = {e.strip().lower() for e in os.environ.get("TODO_ADMIN_EMAILS", "").split(",") if e.strip()}

    async def promote_admin(user: User) -> None:
        # Development convenience for the frontend's admin view: the listed addresses become admins once verified.
        if user.email.lower() in admin_emails:
            await adapter.update("user", [Where("id", user.id)], {"role": "admin"})

    auth = BetterAuth(
        settings,
        adapter=adapter,
        plugins=[bearer(), jwt(**jwt_options()), admin(), *oidc_plugins()],
        password_hasher=password_hasher,
        hooks=AuthHooks(before_delete_user=delete_tasks_of, after_email_verification=promote_admin),
        jwt_verifiers=shared_secret,
        secondary_storage=storage,
        email_sender=FileOutboxSender(os.environ["TODO_OUTBOX"]) if os.environ.get("TODO_OUTBOX") else None,
        password_policy=password_complexity() if os.environ.get("TODO_PASSWORD_RULES") == "1" else None,
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


def jwt_options() -> dict[str, Any]:
    """``TODO_JWT_EXPIRES_IN``: a short lifetime shows the frontend refreshing its JWT silently."""
    lifetime = os.environ.get("TODO_JWT_EXPIRES_IN")
    if not lifetime:
        return {}
    return {"expiration_time": int(lifetime) if lifetime.isdigit() else lifetime}


def oidc_plugins() -> list[Plugin]:
    """``generic_oauth([oidc(...)])`` from the ``OIDC_*`` variables; none without ``OIDC_DISCOVERY_URL``."""
    discovery_url = os.environ.get("OIDC_DISCOVERY_URL")
    if not discovery_url:
        return []
    provider = oidc(
        os.environ.get("OIDC_PROVIDER_ID") or "local",
        client_id=os.environ["OIDC_CLIENT_ID"],
        client_secret=os.environ.get("OIDC_CLIENT_SECRET") or None,
        discovery_url=discovery_url,
        scopes=[s.strip() for s in os.environ.get("OIDC_SCOPES", "email,profile").split(",") if s.strip()],
    )
    return [generic_oauth([provider])]


app = create_app()
