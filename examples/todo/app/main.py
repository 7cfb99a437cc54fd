"""The todo API: `uvicorn examples.todo.app.main:app` (SQLite by default, `DATABASE_URL` for PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from fastapi_betterauth import AuthSettings, BetterAuth, SQLAlchemyAdapter, create_engine

from .models import metadata
from .routes import router as task_router

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./todo-demo.db"


def create_app(settings: AuthSettings | None = None, database_url: str | None = None) -> FastAPI:
    """Build the app: the auth routes under /api/auth and the task routes under /api/tasks."""
    if settings is None:
        settings = AuthSettings(trusted_origins=os.environ.get("BETTER_AUTH_TRUSTED_ORIGINS", "http://localhost:3000"))
    # One engine serves both the auth tables and the app's own table.
    engine = create_engine(database_url or os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    auth = BetterAuth(settings, adapter=SQLAlchemyAdapter(engine))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, object]]:
        async with auth.lifespan(app) as state:
            # Development convenience; production deployments run the Alembic migrations instead.
            await auth.create_schema()
            async with engine.begin() as conn:
                await conn.run_sync(metadata.create_all)
            yield state

    app = FastAPI(
        title="Todo API",
        description="Per-user tasks behind Better Auth compatible authentication (fastapi-betterauth).",
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.auth = auth
    app.include_router(auth.router)
    app.include_router(task_router)
    return app


app = create_app()
