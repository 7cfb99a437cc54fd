"""ResourceServer: a FastAPI app that only verifies what another Better Auth server issued.

The issuer here is a ``BetterAuth`` with the bearer and jwt plugins on a real database file (SQLite) or
PostgreSQL; the resource app shares the database read-only for sessions and fetches the issuer's
``/jwks`` over HTTP for JWTs. (tests/interop does the same with a real TypeScript issuer.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from fastapi_betterauth import (
    AuthSettings,
    BetterAuth,
    CurrentIdentity,
    CurrentSession,
    CurrentUser,
    JWTVerifier,
    MemoryAdapter,
    ResourceServer,
    SessionVerifier,
    bearer,
    jwt,
    require_jwt,
)
from fastapi_betterauth.crypto.signing import sign_cookie_value
from tests._services import asyncpg_url, create_postgres_database, drop_postgres_database
from tests.conftest import BASE_URL, SECRET, TRUSTED, FastTestHasher

pytestmark = pytest.mark.anyio
API = "/api/auth"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/shared.db"
        return
    dsn = await create_postgres_database()
    yield asyncpg_url(dsn)
    await drop_postgres_database(dsn)


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[dict[str, Any]]:
    """An issuer app and a resource app on one database."""
    issuer = BetterAuth(
        AuthSettings(secret=SECRET, base_url=BASE_URL, trusted_origins=[TRUSTED]),
        database=database_url,
        plugins=[bearer(), jwt()],
        password_hasher=FastTestHasher(),
    )
    await issuer.create_schema()
    issuer_app = FastAPI(lifespan=issuer.lifespan)
    issuer_app.include_router(issuer.router)
    async with LifespanManager(issuer_app) as issuer_manager:
        issuer_client = httpx.AsyncClient(transport=httpx.ASGITransport(app=issuer_manager.app), base_url=BASE_URL)
        resource = ResourceServer(
            sessions=SessionVerifier(database=database_url, secret=SECRET),
            jwt=JWTVerifier(jwks_url=f"{BASE_URL}{API}/jwks", issuer=BASE_URL, audience=BASE_URL, client=issuer_client),
        )
        api = FastAPI(lifespan=resource.lifespan)

        @api.get("/me")
        async def me(identity: CurrentIdentity) -> dict[str, Any]:
            return {"email": identity.user.email, "via": identity.via, "id": identity.user.id}

        @api.get("/user")
        async def user(user: CurrentUser) -> dict[str, Any]:
            return {"id": user.id, "name": user.name}

        @api.get("/session")
        async def session(session: CurrentSession) -> dict[str, Any]:
            return {"token": session.session.token}

        @api.get("/claims")
        async def claims(claims: Annotated[dict[str, Any], require_jwt()]) -> dict[str, Any]:
            return claims

        async with LifespanManager(api) as api_manager:
            api_client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=api_manager.app), base_url="http://api.test"
            )
            signed_up = await issuer_client.post(
                f"{API}/sign-up/email", json={"email": "r@example.com", "password": "password123", "name": "R"}
            )
            assert signed_up.status_code == 200
            yield {
                "issuer": issuer,
                "issuer_client": issuer_client,
                "api": api_client,
                "signed_up": signed_up,
            }
            await api_client.aclose()
        await issuer_client.aclose()


async def test_session_cookie_from_the_issuer(world: dict[str, Any]) -> None:
    cookie = world["signed_up"].headers["set-cookie"].split(";", 1)[0]
    response = await world["api"].get("/me", headers={"Cookie": cookie})
    assert response.json()["email"] == "r@example.com" and response.json()["via"] == "cookie"
    assert (await world["api"].get("/session", headers={"Cookie": cookie})).json()["token"] == world[
        "signed_up"
    ].json()["token"]


async def test_bearer_session_token_from_the_issuer(world: dict[str, Any]) -> None:
    token = world["signed_up"].headers["set-auth-token"]
    for value in (token, token.split(".")[0]):
        response = await world["api"].get("/me", headers={"Authorization": f"Bearer {value}"})
        assert response.json()["via"] == "bearer"


async def test_jwt_from_the_issuer(world: dict[str, Any]) -> None:
    token = (await world["issuer_client"].get(f"{API}/token")).json()["token"]
    bearer_jwt = {"Authorization": f"Bearer {token}"}
    response = await world["api"].get("/me", headers=bearer_jwt)
    assert response.json() == {"email": "r@example.com", "via": "jwt", "id": world["signed_up"].json()["user"]["id"]}
    assert (await world["api"].get("/user", headers=bearer_jwt)).json()["name"] == "R"
    assert (await world["api"].get("/claims", headers=bearer_jwt)).json()["email"] == "r@example.com"
    assert (await world["api"].get("/session", headers=bearer_jwt)).status_code == 401


async def test_sign_out_on_the_issuer_is_seen_at_once(world: dict[str, Any]) -> None:
    cookie = world["signed_up"].headers["set-cookie"].split(";", 1)[0]
    assert (await world["api"].get("/me", headers={"Cookie": cookie})).status_code == 200
    await world["issuer_client"].post(f"{API}/sign-out", json={}, headers={"Origin": TRUSTED})
    assert (await world["api"].get("/me", headers={"Cookie": cookie})).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not.a.jwt"},
        {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."},
        {"Cookie": "better-auth.session_token=forged.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D"},
        {"Authorization": "Basic Zm9vOmJhcg=="},
    ],
    ids=["anonymous", "garbage-jwt", "alg-none", "forged-cookie", "basic-auth"],
)
async def test_every_failure_is_a_json_401_with_a_challenge(world: dict[str, Any], headers: dict[str, str]) -> None:
    for path in ("/me", "/user", "/session", "/claims"):
        response = await world["api"].get(path, headers=headers)
        assert response.status_code == 401, (path, response.text)
        assert response.json()["code"] in ("UNAUTHORIZED", "INVALID_TOKEN")
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_the_resource_server_never_writes(world: dict[str, Any]) -> None:
    """An expired session is refused but not deleted: cleaning up is the issuer's business."""
    from datetime import timedelta

    from fastapi_betterauth import Where

    issuer = world["issuer"]
    token = world["signed_up"].json()["token"]
    session = await issuer.adapter.find_one("session", [Where("token", token)])
    await issuer.adapter.update(
        "session", [Where("token", token)], {"expiresAt": session["createdAt"] - timedelta(seconds=1)}
    )
    cookie = world["signed_up"].headers["set-cookie"].split(";", 1)[0]
    assert (await world["api"].get("/me", headers={"Cookie": cookie})).status_code == 401
    assert await issuer.adapter.find_one("session", [Where("token", token)]) is not None


@pytest.mark.parametrize(
    ("secure_cookies", "url", "reads"),
    [
        (None, "http://api.test/me", "plain"),
        (None, "https://api.test/me", "secure"),
        (True, "http://api.test/me", "secure"),  # TLS ends at a proxy that does not forward the scheme
        (False, "https://api.test/me", "plain"),
    ],
)
def test_exactly_one_session_cookie_name_is_read(secure_cookies: bool | None, url: str, reads: str) -> None:
    """Review finding 8: a plain-named cookie (which any subdomain or http page can plant) was accepted
    where the ``__Secure-`` one is expected, signing the victim into the planter's account (login CSRF)."""
    verifier = SessionVerifier(adapter=MemoryAdapter(), secret=SECRET, secure_cookies=secure_cookies)
    value = sign_cookie_value("the-token", SECRET)
    cookies = {
        "plain": {"cookie": f"better-auth.session_token={value}"},
        "secure": {"cookie": f"__Secure-better-auth.session_token={value}"},
    }
    for kind, headers in cookies.items():
        expected = ("the-token", "cookie") if kind == reads else None
        assert verifier.token(headers, url=url) == expected, kind
