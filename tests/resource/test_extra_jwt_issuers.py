"""``BetterAuth(jwt_verifiers=[...])``: bearer JWTs from other issuers name users of this database."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any

import httpx
import jwt as pyjwt
import pytest
from fastapi import FastAPI

from fastapi_betterauth import (
    BetterAuth,
    ConfigurationError,
    CurrentUser,
    JWTVerifier,
    User,
    admin,
    jwt,
    require_jwt,
    require_role,
)
from fastapi_betterauth.settings import DEV_DEFAULT_SECRET
from tests.conftest import sign_up

pytestmark = pytest.mark.anyio
SHARED = "frontend-shared-secret-0123456789abcdefghij"


def app_with_routes(auth: BetterAuth) -> FastAPI:
    app = FastAPI(lifespan=auth.lifespan)
    app.include_router(auth.router)

    @app.get("/me")
    async def me(user: CurrentUser) -> dict[str, str]:
        return {"id": user.id}

    @app.get("/claims")
    async def claims(found: Annotated[dict[str, Any], require_jwt()]) -> dict[str, Any]:
        return {"sub": found["sub"]}

    @app.get("/admin")
    async def admin_only(user: Annotated[User, require_role("admin")]) -> dict[str, str]:
        return {"id": user.id}

    return app


def token(sub: str, secret: str = SHARED, **claims: Any) -> dict[str, str]:
    payload = {"sub": sub, "exp": int(time.time()) + 300, **claims}
    return {"Authorization": "Bearer " + pyjwt.encode(payload, secret, algorithm="HS256")}


async def start(make_client: Callable[..., Any], plugins: Any = ()) -> tuple[httpx.AsyncClient, str, Any]:
    client, auth = await make_client(
        plugins=plugins,
        app=app_with_routes,
        auth_options={"jwt_verifiers": [JWTVerifier(secret=SHARED, audience="todo-api")]},
    )
    user_id = (await sign_up(client)).json()["user"]["id"]
    client.cookies.clear()
    return client, user_id, auth


@pytest.mark.parametrize("plugins", [(), "jwt"])
async def test_hs256_jwts_of_the_shared_secret_identify_users(make_client: Callable[..., Any], plugins: Any) -> None:
    # admin(): the /admin route's require_role needs it (without it the app refuses to start).
    client, user_id, _ = await start(make_client, [jwt(), admin()] if plugins == "jwt" else [admin()])
    good = token(user_id, aud="todo-api")
    assert (await client.get("/me", headers=good)).json() == {"id": user_id}
    assert (await client.get("/claims", headers=good)).json() == {"sub": user_id}
    assert (await client.get("/admin", headers=good)).status_code == 403

    expired = await client.get("/me", headers=token(user_id, aud="todo-api", exp=int(time.time()) - 60))
    assert expired.status_code == 401 and expired.json()["code"] == "TOKEN_EXPIRED"
    for bad in (token(user_id), token(user_id, secret="wrong-secret-0123456789abcdefghijklmn", aud="todo-api")):
        r = await client.get("/me", headers=bad)
        assert r.status_code == 401 and r.json()["code"] == "INVALID_TOKEN"
    # A valid token for a user this database does not know is no identity.
    assert (await client.get("/me", headers=token("ghost", aud="todo-api"))).status_code == 401


async def test_role_changes_apply_to_jwt_callers_at_once(make_client: Callable[..., Any]) -> None:
    client, user_id, auth = await start(make_client, [admin()])
    good = token(user_id, aud="todo-api")
    assert (await client.get("/admin", headers=good)).status_code == 403
    await auth.store.update_user(user_id, {"role": "admin"})
    assert (await client.get("/admin", headers=good)).json() == {"id": user_id}
    await auth.store.update_user(user_id, {"role": "user"})
    assert (await client.get("/admin", headers=good)).status_code == 403


async def test_the_plugins_own_jwts_still_verify_first(make_client: Callable[..., Any]) -> None:
    client, user_id, _ = await start(make_client, [jwt(), admin()])
    await sign_up(client, email="b@example.com")
    own = (await client.get("/api/auth/token")).json()["token"]
    client.cookies.clear()
    r = await client.get("/me", headers={"Authorization": f"Bearer {own}"})
    assert r.status_code == 200 and r.json()["id"] != user_id


def test_the_public_development_secret_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="public development secret"):
        JWTVerifier(secret=DEV_DEFAULT_SECRET)
