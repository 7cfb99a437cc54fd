"""Changing the configured password algorithm upgrades stored hashes on the next good sign-in."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from fastapi_betterauth import Argon2Hasher, BetterAuth, ScryptHasher, SQLAlchemyAdapter, Where
from tests.conftest import BASE_URL, ORIGIN, make_settings

pytestmark = pytest.mark.anyio


async def _stored_hash(auth: BetterAuth) -> str:
    account = await auth.adapter.find_one("account", [Where("providerId", "credential")])
    assert account is not None
    return str(account["password"])


async def _serve(url: str, hasher: object) -> tuple[BetterAuth, FastAPI]:
    auth = BetterAuth(make_settings(), adapter=SQLAlchemyAdapter(url), password_hasher=hasher)  # type: ignore[arg-type]
    await auth.create_schema()
    app = FastAPI()
    app.include_router(auth.router)
    return auth, app


async def test_switching_to_argon2_rehashes_on_sign_in(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/rehash.db"
    body = {"email": "r@example.com", "password": "password123"}

    auth, app = await _serve(url, ScryptHasher())
    async with LifespanManager(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as c:
        assert (await c.post("/api/auth/sign-up/email", json={**body, "name": "R"})).status_code == 200
        scrypt_hash = await _stored_hash(auth)
    assert ":" in scrypt_hash and not scrypt_hash.startswith("$argon2")

    argon = Argon2Hasher(time_cost=1, memory_cost=1024)
    auth, app = await _serve(url, argon)
    async with LifespanManager(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as c:
        bad = await c.post("/api/auth/sign-in/email", json={**body, "password": "wrong-password"}, headers=ORIGIN)
        assert bad.status_code == 401
        assert await _stored_hash(auth) == scrypt_hash  # a failed sign-in changes nothing
        assert (await c.post("/api/auth/sign-in/email", json=body, headers=ORIGIN)).status_code == 200
        upgraded = await _stored_hash(auth)
        assert upgraded.startswith("$argon2id$")
        # and the upgraded hash keeps working
        assert (await c.post("/api/auth/sign-in/email", json=body, headers=ORIGIN)).status_code == 200
        assert await _stored_hash(auth) == upgraded
