"""Two routes protected by the same EdDSA JWT, side by side: ours (``require_jwt``) and bare PyJWT.

``uvicorn benchmarks.jwt_app:app``; the benchmark loads ``/protected`` and ``/bare`` with the token
from ``GET /token-for-bench`` and compares requests per second.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import jwt as pyjwt
from fastapi import Depends, FastAPI, HTTPException, Request

from fastapi_betterauth import JWTVerifier, require_jwt
from fastapi_betterauth.crypto.jwt import encode_jwt, generate_key_pair, key_from_jwk

ISSUER = "http://localhost:3000"
_private, _public = generate_key_pair("EdDSA")
KEYS = {"keys": [{"alg": "EdDSA", **_public, "kid": "bench-key"}]}
PUBLIC_KEY = key_from_jwk(_public, "EdDSA")
TOKEN = encode_jwt(
    {
        "iat": int(time.time()),
        "email": "bench@example.com",
        "sub": "user-1",
        "exp": int(time.time()) + 86400,
        "iss": ISSUER,
        "aud": ISSUER,
    },
    key_from_jwk(_private, "EdDSA"),
    "EdDSA",
    headers={"kid": "bench-key"},
)
verifier = JWTVerifier(jwks=KEYS, issuer=ISSUER, audience=ISSUER, algorithms=["EdDSA"])
app = FastAPI()


@app.get("/token-for-bench")
async def token() -> dict[str, str]:
    return {"token": TOKEN}


@app.get("/protected")
async def protected(claims: Annotated[dict[str, Any], require_jwt(verifier)]) -> dict[str, Any]:
    return {"sub": claims["sub"]}


async def bare_claims(request: Request) -> dict[str, Any]:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise HTTPException(401)
    try:
        return pyjwt.decode(header[7:], PUBLIC_KEY, algorithms=["EdDSA"], issuer=ISSUER, audience=ISSUER)
    except pyjwt.PyJWTError:
        raise HTTPException(401) from None


@app.get("/bare")
async def bare(claims: Annotated[dict[str, Any], Depends(bare_claims)]) -> dict[str, Any]:
    return {"sub": claims["sub"]}
