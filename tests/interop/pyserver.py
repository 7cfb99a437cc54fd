"""The Python server under test for the interop suites.

Run: ``python -m uvicorn tests.interop.pyserver:app --port N`` with the environment

* ``BETTER_AUTH_SECRET``, ``BETTER_AUTH_URL`` (e.g. ``http://127.0.0.1:N``),
* ``DATABASE_URL``: a SQLAlchemy async URL (``sqlite+aiosqlite:///…`` or ``postgresql+asyncpg://…``),
* ``PLUGINS`` (optional): comma-separated plugin factory names exported by ``fastapi_betterauth``
  (``bearer``, ``jwt``, ``admin``),
* ``SKIP_CREATE_SCHEMA=1`` (optional): do not create tables (the schema was made by Better Auth's own
  migration generator, see ts_server.mjs ``MIGRATE=1``),
* ``PY_JWT_OPTIONS_JSON`` (optional): keyword arguments of ``jwt()`` (ts_server.mjs ``TS_JWT_OPTIONS_JSON``).
* ``AUTH_SETTINGS_JSON`` (optional): extra ``AuthSettings`` fields as JSON, e.g.
  ``{"session": {"cookie_cache": {"enabled": true}}}`` (the Python twin of ts_server.mjs ``AUTH_OPTIONS_JSON``).
* ``MAIL_LOG`` (optional): mails go to this JSON-lines outbox (``FileOutboxSender``: kind, to, url, token),
  which enables verification, password reset and the other mailed flows, as ts_server.mjs ``MAIL_LOG`` does.
* ``REDIS_URL`` (optional): secondary storage in that Redis (``RedisStorage``), keys prefixed ``REDIS_PREFIX``
  (default ``better-auth:``, as ts_server.mjs).
* ``OIDC_DISCOVERY_URL`` (optional): a generic OpenID Connect provider through the ``generic_oauth`` plugin, as
  ts_server.mjs adds Better Auth's ``genericOAuth({config: [...]})``: ``OIDC_PROVIDER_ID`` (default ``local``),
  ``OIDC_CLIENT_ID``, ``OIDC_CLIENT_SECRET`` (optional), ``OIDC_SCOPES`` (comma-separated, optional).

The environment is ``test`` unless ``AUTH_SETTINGS_JSON`` says otherwise: no rate limiter, as ts_server.mjs
runs Better Auth without ``NODE_ENV=production``.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

import fastapi_betterauth
from fastapi_betterauth import AuthSettings, BetterAuth, FileOutboxSender


def _plugins() -> list[Any]:
    plugins = []
    for name in filter(None, (part.strip() for part in os.environ.get("PLUGINS", "").split(","))):
        factory = getattr(fastapi_betterauth, name, None)
        if factory is None:
            raise RuntimeError(f"fastapi_betterauth has no plugin factory {name!r}")
        # PY_JWT_OPTIONS_JSON: keyword arguments of jwt(), e.g. {"rotation_interval": 4, "grace_period": 8}.
        options = json.loads(os.environ.get("PY_JWT_OPTIONS_JSON") or "{}") if name == "jwt" else {}
        plugins.append(factory(**options))
    return plugins


def _oidc_plugins() -> list[Any]:
    """``[generic_oauth([oidc(...)])]`` from the ``OIDC_*`` variables; none without ``OIDC_DISCOVERY_URL``."""
    discovery_url = os.environ.get("OIDC_DISCOVERY_URL")
    if not discovery_url:
        return []
    provider = fastapi_betterauth.oidc(
        os.environ.get("OIDC_PROVIDER_ID") or "local",
        client_id=os.environ["OIDC_CLIENT_ID"],
        client_secret=os.environ.get("OIDC_CLIENT_SECRET") or None,
        discovery_url=discovery_url,
        scopes=[s.strip() for s in os.environ.get("OIDC_SCOPES", "").split(",") if s.strip()],
    )
    return [fastapi_betterauth.generic_oauth([provider])]


def _storage() -> Any:
    if not os.environ.get("REDIS_URL"):
        return None
    from fastapi_betterauth.storage import RedisStorage

    return RedisStorage(os.environ["REDIS_URL"], key_prefix=os.environ.get("REDIS_PREFIX") or "better-auth:")


auth = BetterAuth(
    AuthSettings(
        secret=os.environ["BETTER_AUTH_SECRET"],
        base_url=os.environ["BETTER_AUTH_URL"],
        trusted_origins=["http://localhost:3000"],
        **{"environment": "test", **json.loads(os.environ.get("AUTH_SETTINGS_JSON") or "{}")},
    ),
    database=os.environ["DATABASE_URL"],
    plugins=[*_plugins(), *_oidc_plugins()],
    email_sender=FileOutboxSender(os.environ["MAIL_LOG"]) if os.environ.get("MAIL_LOG") else None,
    secondary_storage=_storage(),
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
    async with auth.lifespan(app) as state:
        if os.environ.get("SKIP_CREATE_SCHEMA") != "1":
            await auth.create_schema()
        yield state


app = FastAPI(lifespan=lifespan)
app.include_router(auth.router)


@app.get("/me")
async def me(identity: fastapi_betterauth.CurrentIdentity) -> dict[str, Any]:
    """Who the credential is (a session, or a JWT through the jwt plugin's verifier): for the token tests."""
    return {"user": identity.user.id, "via": identity.via}
