"""JWTs, key sets and bearer tokens cross between the Python server and the real Better Auth 1.7.24 server.

Both servers run the bearer and jwt plugins on one database with one secret. Better Auth's JWTs verify
with our ``JWTVerifier`` through its ``/jwks``; ours verify with jose through our ``/jwks``; the
encrypted private keys in the shared ``jwks`` table are used by whichever server did not create them;
and a ``ResourceServer`` accepts Better Auth's cookies, bearer tokens and JWTs.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from fastapi_betterauth import CurrentIdentity, JWTVerifier, ResourceServer, SessionVerifier
from fastapi_betterauth.crypto.jwt import unverified_header

from .conftest import ORIGIN, SECRET, Server, db_query, python_database_url, verify_jwt

pytestmark = pytest.mark.interop

PLUGINS = "bearer,jwt"
PASSWORD = "correct horse battery staple"


def call(server: Server, method: str, path: str, body: Any = None, **headers: str) -> httpx.Response:
    merged = {"Origin": ORIGIN, **headers}
    return httpx.request(method, f"{server.url}/api/auth{path}", json=body, headers=merged, timeout=30)


def sign_up(server: Server) -> httpx.Response:
    email = f"tok.{secrets.token_hex(4)}@example.com"
    response = call(server, "POST", "/sign-up/email", {"email": email, "password": PASSWORD, "name": "Tok"})
    assert response.status_code == 200, response.text
    return response


def jwt_for(server: Server) -> tuple[str, httpx.Response]:
    signed_up = sign_up(server)
    response = call(server, "GET", "/token", Authorization=f"Bearer {signed_up.headers['set-auth-token']}")
    assert response.status_code == 200, response.text
    return response.json()["token"], signed_up


@pytest.fixture
def pair(
    database: str, start_py_server: Callable[..., Server], start_ts_server: Callable[..., Server]
) -> tuple[Server, Server, str]:
    py = start_py_server(python_database_url(database), plugins=PLUGINS)
    ts = start_ts_server(database, plugins=PLUGINS)
    return py, ts, database


def test_better_auth_jwt_verifies_with_our_verifier(pair: tuple[Server, Server, str]) -> None:
    _, ts, _ = pair
    token, signed_up = jwt_for(ts)
    verifier = JWTVerifier(jwks_url=f"{ts.url}/api/auth/jwks", issuer=ts.url, audience=ts.url)
    claims = asyncio.run(verifier.verify(token))
    assert claims["sub"] == signed_up.json()["user"]["id"] and claims["email"] == signed_up.json()["user"]["email"]
    wrong = JWTVerifier(jwks_url=f"{ts.url}/api/auth/jwks", issuer="https://elsewhere.example", audience=ts.url)
    with pytest.raises(Exception, match="issuer"):
        asyncio.run(wrong.verify(token))


def test_our_jwt_verifies_with_jose(pair: tuple[Server, Server, str], node: str) -> None:
    py, _, _ = pair
    token, signed_up = jwt_for(py)
    jwks = call(py, "GET", "/jwks").json()
    result = verify_jwt(node, jwks, token, py.url)
    assert result["ok"], result
    assert result["header"] == {"alg": "EdDSA", "kid": jwks["keys"][0]["kid"]}
    assert result["payload"]["sub"] == signed_up.json()["user"]["id"]
    assert not verify_jwt(node, jwks, token, "https://elsewhere.example")["ok"]


@pytest.mark.parametrize("creator", ["ts", "py"])
def test_each_server_signs_with_the_key_the_other_created(
    pair: tuple[Server, Server, str], node: str, creator: str
) -> None:
    py, ts, database = pair
    maker, user = (ts, py) if creator == "ts" else (py, ts)
    made = call(maker, "GET", "/jwks").json()["keys"]
    assert len(made) == 1
    kid = made[0]["kid"]
    token, _ = jwt_for(user)
    assert unverified_header(token)["kid"] == kid, "the other server did not reuse the stored key"
    assert [r["id"] for r in db_query(database, 'select id from "jwks"')] == [kid]
    # The JWT signed by `user` with the key `maker` created verifies against `maker`'s key set, with jose.
    result = verify_jwt(node, call(maker, "GET", "/jwks").json(), token, user.url)
    assert result["ok"], result
    stored = db_query(database, 'select "privateKey", alg, crv from "jwks"')[0]
    assert json.loads(stored["privateKey"])[:2] != '{"' and (stored["alg"], stored["crv"]) == ("EdDSA", "Ed25519")


def test_bearer_tokens_cross_over(pair: tuple[Server, Server, str]) -> None:
    py, ts, _ = pair
    for issuer, other in ((py, ts), (ts, py)):
        token = sign_up(issuer).headers["set-auth-token"]
        for value in (token, token.split(".")[0]):
            session = call(other, "GET", "/get-session", Authorization=f"Bearer {value}")
            assert session.json() is not None, f"{other.name} refused a bearer token from {issuer.name}"
            assert session.headers["set-auth-jwt"].startswith("eyJ")


def test_resource_server_accepts_better_auth_credentials(pair: tuple[Server, Server, str]) -> None:
    _, ts, database = pair
    token, signed_up = jwt_for(ts)
    cookie = signed_up.headers["set-cookie"].split(";", 1)[0]
    bearer = signed_up.headers["set-auth-token"]

    async def scenario() -> list[dict[str, Any]]:
        resource = ResourceServer(
            sessions=SessionVerifier(database=python_database_url(database), secret=SECRET),
            jwt=JWTVerifier(jwks_url=f"{ts.url}/api/auth/jwks", issuer=ts.url, audience=ts.url),
        )
        app = FastAPI(lifespan=resource.lifespan)

        @app.get("/me")
        async def me(identity: CurrentIdentity) -> dict[str, Any]:
            return {"id": identity.user.id, "via": identity.via}

        async with LifespanManager(app) as manager:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://api") as c:
                answers = [
                    (await c.get("/me", headers={"Cookie": cookie})).json(),
                    (await c.get("/me", headers={"Authorization": f"Bearer {bearer}"})).json(),
                    (await c.get("/me", headers={"Authorization": f"Bearer {token}"})).json(),
                ]
                call(ts, "POST", "/sign-out", {}, Cookie=cookie)
                answers.append((await c.get("/me", headers={"Cookie": cookie})).json())
                return answers

    user_id = signed_up.json()["user"]["id"]
    cookie_answer, bearer_answer, jwt_answer, after_sign_out = asyncio.run(scenario())
    assert cookie_answer == {"id": user_id, "via": "cookie"}
    assert bearer_answer == {"id": user_id, "via": "bearer"}
    assert jwt_answer == {"id": user_id, "via": "jwt"}
    assert after_sign_out["code"] == "UNAUTHORIZED"
