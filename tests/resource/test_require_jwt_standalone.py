"""``require_jwt(JWTVerifier(...))`` in a bare FastAPI app (no BetterAuth or ResourceServer lifespan).

The lifespan is what registers the ``AuthError`` handler; an explicit verifier must not depend on it: a
missing, forged or expired token is a 401 in Better Auth's ``{message, code}`` shape, never a 500.
"""

import time
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI

from fastapi_betterauth import JWTVerifier, require_jwt
from fastapi_betterauth.crypto.jwt import encode_jwt, generate_key_pair, key_from_jwk

pytestmark = pytest.mark.anyio


def bare_app() -> tuple[FastAPI, Any]:
    private, public = generate_key_pair("EdDSA")
    verifier = JWTVerifier(jwks={"keys": [{**public, "kid": "k1", "alg": "EdDSA"}]}, issuer="https://i", audience="a")
    app = FastAPI()

    @app.get("/claims")
    async def claims(claims: Annotated[dict[str, Any], require_jwt(verifier)]) -> dict[str, Any]:
        return claims

    return app, key_from_jwk(private, "EdDSA")


def token(key: Any, **overrides: Any) -> str:
    claims = {"sub": "u1", "iss": "https://i", "aud": "a", "exp": int(time.time()) + 60, **overrides}
    return encode_jwt(claims, key, "EdDSA", headers={"kid": "k1"})


async def test_refusals_are_401_with_message_and_code_in_a_bare_app() -> None:
    app, key = bare_app()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        # The first request of the app is a refusal: the handler must already apply to it.
        missing = await client.get("/claims")
        assert missing.status_code == 401, missing.text
        assert missing.json() == {"message": "Unauthorized", "code": "UNAUTHORIZED"}
        expired = await client.get("/claims", headers={"authorization": f"Bearer {token(key, exp=1)}"})
        assert expired.status_code == 401 and expired.json()["code"] == "TOKEN_EXPIRED"
        forged = await client.get("/claims", headers={"authorization": "Bearer a.b.c"})
        assert forged.status_code == 401 and forged.json()["code"] == "INVALID_TOKEN"
        assert "invalid_token" in forged.headers["www-authenticate"]
        good = await client.get("/claims", headers={"authorization": f"Bearer {token(key)}"})
        assert good.status_code == 200 and good.json()["sub"] == "u1"
