"""FastAPI dependencies and server-side calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fastapi_betterauth import AuthError, BetterAuth, CurrentSession, CurrentUser, OptionalUser, User
from tests.conftest import ORIGIN, sign_up

pytestmark = pytest.mark.anyio


def _app(auth: BetterAuth, *, with_lifespan: bool) -> FastAPI:
    app = FastAPI(lifespan=auth.lifespan) if with_lifespan else FastAPI()
    app.include_router(auth.router)

    @app.get("/me")
    async def me(user: CurrentUser) -> User:
        return user

    @app.get("/session")
    async def session(current: CurrentSession) -> dict[str, str]:
        return {"token": current.session.token, "email": current.user.email}

    @app.get("/maybe")
    async def maybe(user: OptionalUser) -> dict[str, str | None]:
        return {"email": user.email if user else None}

    return app


@pytest.mark.parametrize("with_lifespan", [True, False], ids=["app-lifespan", "router-only"])
async def test_current_user_dependencies(make_client: Callable[..., Any], with_lifespan: bool) -> None:
    client, _ = await make_client(app=lambda auth: _app(auth, with_lifespan=with_lifespan))
    anonymous = await client.get("/me")
    assert anonymous.status_code == 401
    assert anonymous.json() == {"message": "Unauthorized", "code": "UNAUTHORIZED"}
    assert (await client.get("/maybe")).json() == {"email": None}

    token = (await sign_up(client)).json()["token"]
    me = (await client.get("/me")).json()
    assert me["email"] == "alice@example.com" and me["emailVerified"] is False
    assert me["createdAt"].endswith("Z")
    assert (await client.get("/session")).json() == {"token": token, "email": "alice@example.com"}

    await client.post("/api/auth/revoke-sessions", json={}, headers=ORIGIN)
    client.cookies.set("better-auth.session_token", "stale")
    assert (await client.get("/me")).status_code == 401


async def test_server_side_api(client: httpx.AsyncClient, make_client: Callable[..., Any]) -> None:
    _, auth = await make_client()
    result = await auth.api.sign_up_email(body={"email": "srv@example.com", "password": "password123", "name": "S"})
    assert result["user"]["email"] == "srv@example.com"
    signed_in = await auth.api.sign_in_email(
        body={"email": "srv@example.com", "password": "password123"}, as_response=True
    )
    cookie = signed_in.cookies[0]
    session = await auth.api.get_session(headers={"cookie": f"{cookie.name}={cookie.value}"})
    assert session["user"]["email"] == "srv@example.com"
    assert await auth.api.get_session(headers={}) is None
    with pytest.raises(AuthError) as caught:
        await auth.api.sign_in_email(body={"email": "srv@example.com", "password": "nope-nope"})
    assert caught.value.status == 401 and caught.value.code == "INVALID_EMAIL_OR_PASSWORD"
