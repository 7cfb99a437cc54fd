"""A ban refuses every credential kind at once (security review finding 4).

Before, ``current_user`` re-read a JWT's ``sub`` user but ignored ``banned``: a banned user kept working
with any JWT until it expired. Here each credential (session cookie, bearer session token, the jwt
plugin's EdDSA JWT, an HS256 JWT from ``jwt_verifiers``, and the same through a ``ResourceServer``) gets
the admin plugin's 403 ``BANNED_USER``, and works again once a timed ban runs out.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt as pyjwt
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from fastapi_betterauth import (
    AuthSettings,
    BetterAuth,
    CurrentUser,
    JWTVerifier,
    ResourceServer,
    SessionVerifier,
    admin,
    bearer,
    jwt,
)
from fastapi_betterauth._dates import now
from tests._services import asyncpg_url, create_postgres_database, drop_postgres_database
from tests.conftest import BASE_URL, ORIGIN, SECRET, TRUSTED, FastTestHasher

pytestmark = pytest.mark.anyio
API = "/api/auth"
BANNED = {
    "message": "You have been banned from this application. Please contact support if you believe this is an error.",
    "code": "BANNED_USER",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/bans.db"
        return
    dsn = await create_postgres_database()
    yield asyncpg_url(dsn)
    await drop_postgres_database(dsn)


def _me_app(lifespan: Any) -> FastAPI:
    app = FastAPI(lifespan=lifespan)

    @app.get("/me")
    async def me(user: CurrentUser) -> dict[str, str]:
        return {"id": user.id}

    return app


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[dict[str, Any]]:
    """An issuer (bearer, jwt, admin, HS256 verifier) and a resource server on one database; Alice signed in."""
    issuer = BetterAuth(
        AuthSettings(secret=SECRET, base_url=BASE_URL, trusted_origins=[TRUSTED]),
        database=database_url,
        plugins=[bearer(), jwt(), admin()],
        password_hasher=FastTestHasher(),
        jwt_verifiers=[JWTVerifier(secret=SECRET)],
    )
    await issuer.create_schema()
    issuer_app = _me_app(issuer.lifespan)
    issuer_app.include_router(issuer.router)
    async with LifespanManager(issuer_app) as issuer_manager:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=issuer_manager.app), base_url=BASE_URL)
        resource = ResourceServer(
            sessions=SessionVerifier(database=database_url, secret=SECRET),
            jwt=JWTVerifier(jwks_url=f"{BASE_URL}{API}/jwks", issuer=BASE_URL, audience=BASE_URL, client=client),
        )
        async with LifespanManager(_me_app(resource.lifespan)) as resource_manager:
            api = httpx.AsyncClient(transport=httpx.ASGITransport(app=resource_manager.app), base_url="http://api.test")
            signed_up = await client.post(
                f"{API}/sign-up/email", json={"email": "alice@example.com", "password": "password123", "name": "A"}
            )
            assert signed_up.status_code == 200
            user_id = signed_up.json()["user"]["id"]
            eddsa = (await client.get(f"{API}/token")).json()["token"]
            credentials = {
                "cookie": {"Cookie": signed_up.headers["set-cookie"].split(";", 1)[0]},
                "bearer": {"Authorization": f"Bearer {signed_up.headers['set-auth-token']}"},
                "eddsa-jwt": {"Authorization": f"Bearer {eddsa}"},
                "hs256-jwt": {
                    "Authorization": "Bearer "
                    + pyjwt.encode({"sub": user_id, "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")
                },
            }
            client.cookies.clear()
            yield {"auth": issuer, "issuer": client, "api": api, "user_id": user_id, "credentials": credentials}
            await api.aclose()
        await client.aclose()


SERVED = [("issuer", kind) for kind in ("cookie", "bearer", "eddsa-jwt", "hs256-jwt")] + [
    ("api", kind) for kind in ("cookie", "bearer", "eddsa-jwt")
]


@pytest.mark.parametrize(("server", "kind"), SERVED)
async def test_a_ban_in_force_refuses_the_credential(world: dict[str, Any], server: str, kind: str) -> None:
    headers = world["credentials"][kind]
    assert (await world[server].get("/me", headers=headers)).status_code == 200
    # Set the ban in the database (as another server, or an operator, would) and keep the sessions.
    await world["auth"].store.update_user(world["user_id"], {"banned": True, "banReason": "spam"})
    refused = await world[server].get("/me", headers=headers)
    assert (refused.status_code, refused.json()) == (403, BANNED)
    # A timed ban that has run out no longer counts.
    await world["auth"].store.update_user(world["user_id"], {"banExpires": now() - timedelta(seconds=1)})
    assert (await world[server].get("/me", headers=headers)).status_code == 200
    await world["auth"].store.update_user(world["user_id"], {"banExpires": now() + timedelta(hours=1)})
    assert (await world[server].get("/me", headers=headers)).status_code == 403


async def test_the_admin_ban_route_reaches_jwts_at_once(world: dict[str, Any]) -> None:
    issuer: BetterAuth = world["auth"]
    boss = await world["issuer"].post(
        f"{API}/sign-up/email", json={"email": "boss@example.com", "password": "password123", "name": "B"}
    )
    await issuer.store.update_user(boss.json()["user"]["id"], {"role": "admin"})
    banned = await world["issuer"].post(f"{API}/admin/ban-user", json={"userId": world["user_id"]}, headers=ORIGIN)
    assert banned.status_code == 200, banned.text
    world["issuer"].cookies.clear()  # the admin's own session must not stand in for Alice's credentials
    for server, kind in SERVED:
        answer = await world[server].get("/me", headers=world["credentials"][kind])
        # Sessions are deleted by the ban (401); JWTs outlive sessions and get the ban itself (403).
        expected = 401 if kind in ("cookie", "bearer") else 403
        assert answer.status_code == expected, (server, kind, answer.text)


async def test_a_jwt_only_resource_server_refuses_a_token_that_says_banned() -> None:
    """Without a database the token's copy of the user is all there is (Better Auth puts it in the payload)."""
    resource = ResourceServer(jwt=JWTVerifier(secret=SECRET))
    async with LifespanManager(_me_app(resource.lifespan)) as manager:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://api.test") as api:
            exp = int(time.time()) + 600
            for banned, ban_expires, status in [
                (False, None, 200),
                (True, None, 403),
                (True, int(time.time()) + 600, 403),
                (True, "2000-01-01T00:00:00.000Z", 200),
                (True, "not a date", 403),
            ]:
                claims = {"sub": "u1", "exp": exp, "banned": banned, "banExpires": ban_expires}
                token = pyjwt.encode(claims, SECRET, algorithm="HS256")
                r = await api.get("/me", headers={"Authorization": f"Bearer {token}"})
                assert r.status_code == status, (banned, ban_expires, r.text)
