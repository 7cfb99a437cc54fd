"""A real-scrypt app for the loopback load tests: `uvicorn tests.load.server_app:app`."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import fastapi_betterauth
from fastapi_betterauth import AuthSettings, BetterAuth, FileOutboxSender

auth = BetterAuth(
    AuthSettings(
        secret="load-test-secret-0123456789abcdef0123456789",
        base_url=os.environ["BETTER_AUTH_URL"],
        trusted_origins=["http://localhost:3000"],
        # Throughput is measured without the rate limiter, as the TypeScript server it is compared with
        # runs without NODE_ENV=production (the limiter's own cost is in the rate-limit benchmarks).
        rate_limit={"enabled": False},
    ),
    database=os.environ["DATABASE_URL"],
    # MAIL_LOG switches the mailed flows on (the benchmarks time password-reset requests).
    email_sender=FileOutboxSender(os.environ["MAIL_LOG"]) if os.environ.get("MAIL_LOG") else None,
    # PLUGINS=bearer,jwt: the get-session benchmark with the jwt plugin on.
    plugins=[getattr(fastapi_betterauth, name)() for name in filter(None, os.environ.get("PLUGINS", "").split(","))],
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, object]]:
    async with auth.lifespan(app) as state:
        await auth.create_schema()
        yield state


app = FastAPI(lifespan=lifespan)
app.include_router(auth.router)
