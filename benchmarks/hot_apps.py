"""The two servers of the hot-path benchmark (benchmarks/hot_paths.py), run under uvicorn.

``benchmarks.hot_apps:library``: this library (bearer + jwt plugins; the schema migrated beforehand, as in
production) with three application routes:
``/plain`` (no auth), ``/me`` (``CurrentUser``) and ``/claims`` (``require_jwt()``, the jwt plugin's keys).

``benchmarks.hot_apps:floor``: what a careful developer writes by hand with FastAPI, asyncpg and PyJWT, the
floor the library is measured against: ``/plain``, ``/session`` (the session cookie's HMAC checked, then one
indexed query joining session and user) and ``/jwt`` (PyJWT with the key fetched once from the library's
``/jwks``). Two variants of ``/session`` add, each alone, what the library's answer carries and the lean check
does not, so the report can say where the difference goes: ``/session-jwt`` also signs an EdDSA JWT of the user
into ``set-auth-jwt`` (what the jwt plugin adds to get-session), and ``/me`` reaches the same check through a
dependency tree of ``CurrentUser``'s shape (the instance and two security schemes, for OpenAPI).
"""

from __future__ import annotations

import base64
import gc
import hashlib
import hmac
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any
from urllib.parse import unquote

import asyncpg
import jwt as pyjwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.security import APIKeyCookie, HTTPBearer

import fastapi_betterauth
from fastapi_betterauth import AuthSettings, BetterAuth, CurrentUser, require_jwt

SECRET = os.environ.get("BETTER_AUTH_SECRET", "load-test-secret-0123456789abcdef0123456789")
BASE_URL = os.environ.get("BETTER_AUTH_URL", "http://127.0.0.1:8000")
DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")

# -- this library --------------------------------------------------------------------------------------

auth = BetterAuth(
    AuthSettings(
        secret=SECRET,
        base_url=BASE_URL,
        trusted_origins=["http://localhost:3000"],
        # As the TypeScript server it is compared with (no NODE_ENV=production): no rate limiter.
        rate_limit={"enabled": False},
    ),
    database=DATABASE_URL,
    plugins=[getattr(fastapi_betterauth, p)() for p in os.environ.get("HOT_PLUGINS", "bearer,jwt").split(",") if p],
)


# As in production, the schema is migrated before the server starts (benchmarks/hot_paths.py runs the
# migrations), so the server process does not carry what create_schema() loads.
library = FastAPI(lifespan=auth.lifespan)
library.include_router(auth.router)


@library.get("/plain")
async def library_plain() -> dict[str, str]:
    return {"status": "ok"}


@library.get("/me")
async def library_me(user: CurrentUser) -> dict[str, str]:
    return {"id": user.id, "email": user.email}


if any(p.id == "jwt" for p in auth.plugins):  # HOT_PLUGINS=bearer measures get-session without a JWT per answer

    @library.get("/claims")
    async def library_claims(claims: Annotated[dict[str, Any], require_jwt()]) -> dict[str, Any]:
        return {"sub": claims["sub"]}


# -- the hand-written floor ---------------------------------------------------------------------------

_state: dict[str, Any] = {}
_SESSION_SQL = (
    'select s.id, s.token, s."expiresAt", s."userId", u.id as uid, u.email, u.name '
    'from "session" s join "user" u on u.id = s."userId" where s.token = $1'
)


@asynccontextmanager
async def _floor_lifespan(app: FastAPI) -> AsyncIterator[None]:
    dsn = DATABASE_URL.replace("postgresql+asyncpg://", "postgresql://")
    _state["pool"] = await asyncpg.create_pool(dsn, min_size=2, max_size=10)
    gc.collect()  # as the library's lifespan does (freeze_startup_heap): p99 then compares request work, not GC
    gc.freeze()
    jwks_url = os.environ.get("FLOOR_JWKS_URL")
    if jwks_url:
        import httpx  # here: the library's server process must not carry an HTTP client it does not use

        key = httpx.get(jwks_url).json()["keys"][0]
        _state["jwt_key"] = pyjwt.PyJWK(key, key["alg"]).key
        _state["jwt_alg"] = key["alg"]
        _state["issuer"] = os.environ.get("FLOOR_ISSUER", BASE_URL)
    yield
    await _state["pool"].close()


floor = FastAPI(lifespan=_floor_lifespan)


@floor.get("/plain")
async def floor_plain() -> dict[str, str]:
    return {"status": "ok"}


async def _lean_session(request: Request) -> dict[str, Any]:
    signed = unquote(request.cookies.get("better-auth.session_token", ""))
    token, _, signature = signed.rpartition(".")
    expected = base64.b64encode(hmac.new(SECRET.encode(), token.encode(), hashlib.sha256).digest()).decode()
    if not token or not hmac.compare_digest(signature, expected):
        raise HTTPException(401)
    row = await _state["pool"].fetchrow(_SESSION_SQL, token)
    if row is None:
        raise HTTPException(401)
    return {
        "session": {"id": row["id"], "expiresAt": row["expiresAt"].isoformat(), "userId": row["userId"]},
        "user": {"id": row["uid"], "email": row["email"], "name": row["name"]},
    }


@floor.get("/session")
async def floor_session(request: Request) -> dict[str, Any]:
    return await _lean_session(request)


_FLOOR_SIGNING_KEY = Ed25519PrivateKey.generate()


@floor.get("/session-jwt")
async def floor_session_jwt(request: Request, response: Response) -> dict[str, Any]:
    found = await _lean_session(request)
    now = int(time.time())
    claims = {
        **found["user"],
        "iat": now,
        "sub": found["user"]["id"],
        "exp": now + 900,
        "iss": BASE_URL,
        "aud": BASE_URL,
    }
    response.headers["set-auth-jwt"] = pyjwt.encode(claims, _FLOOR_SIGNING_KEY, algorithm="EdDSA", headers={"kid": "f"})
    return found


_FLOOR_BEARER = HTTPBearer(auto_error=False)
_FLOOR_COOKIE = APIKeyCookie(name="better-auth.session_token", auto_error=False)


async def _floor_app(request: Request) -> Any:
    return request.app


async def _floor_user(
    request: Request,
    app: Any = Depends(_floor_app),
    bearer: Any = Depends(_FLOOR_BEARER),
    cookie: Any = Depends(_FLOOR_COOKIE),
) -> dict[str, Any]:
    user: dict[str, Any] = (await _lean_session(request))["user"]
    return user


@floor.get("/me")
async def floor_me(user: Annotated[dict[str, Any], Depends(_floor_user)]) -> dict[str, str]:
    return {"id": user["id"], "email": user["email"]}


async def _floor_claims(request: Request) -> dict[str, Any]:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise HTTPException(401)
    try:
        claims: dict[str, Any] = pyjwt.decode(
            header[7:],
            _state["jwt_key"],
            algorithms=[_state["jwt_alg"]],
            issuer=_state["issuer"],
            audience=_state["issuer"],
        )
    except pyjwt.PyJWTError:
        raise HTTPException(401) from None
    return claims


@floor.get("/jwt")
async def floor_jwt(claims: Annotated[dict[str, Any], Depends(_floor_claims)]) -> dict[str, Any]:
    return {"sub": claims["sub"]}
