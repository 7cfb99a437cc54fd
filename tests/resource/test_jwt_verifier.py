"""JWTVerifier: remote JWKS (cached, refetched, outage-tolerant), HS256 secrets, and the attack suite."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt as pyjwt
import pytest
from fastapi import FastAPI, Response
from hypothesis import given, settings
from hypothesis import strategies as st

from fastapi_betterauth import ConfigurationError, ExpiredJWTError, JWTError, JWTVerifier
from fastapi_betterauth.crypto.jwt import encode_jwt, generate_key_pair, key_from_jwk

pytestmark = pytest.mark.anyio
ISS = "https://auth.example.com"
SECRET = "seed-shared-secret-0123456789abcdef0123"


class Issuer:
    """A key set served by a real ASGI app, which can be switched off to simulate an outage."""

    def __init__(self) -> None:
        self.private, public = generate_key_pair("EdDSA")
        self.kid = "key-1"
        self.keys = [{"alg": "EdDSA", **public, "kid": self.kid}]
        self.down = False
        self.fetches = 0
        app = FastAPI()

        @app.get("/api/auth/jwks")
        async def jwks() -> Response:
            self.fetches += 1
            if self.down:
                return Response(status_code=503)
            return Response(json.dumps({"keys": self.keys}), media_type="application/json")

        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ISS)

    def rotate(self) -> None:
        self.private, public = generate_key_pair("EdDSA")
        self.kid = f"key-{len(self.keys) + 1}"
        self.keys.append({"alg": "EdDSA", **public, "kid": self.kid})

    def token(self, **overrides: Any) -> str:
        now = int(time.time())
        claims = {"iat": now, "email": "a@example.com", "sub": "user-1", "exp": now + 900, "iss": ISS, "aud": ISS}
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return encode_jwt(claims, key_from_jwk(self.private, "EdDSA"), "EdDSA", headers={"kid": self.kid})

    def verifier(self, **options: Any) -> JWTVerifier:
        return JWTVerifier(jwks_url=f"{ISS}/api/auth/jwks", issuer=ISS, audience=ISS, client=self.client, **options)


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    yield Issuer()


async def test_valid_token(issuer: Issuer) -> None:
    claims = await issuer.verifier().verify(issuer.token())
    assert (claims["sub"], claims["email"]) == ("user-1", "a@example.com")


async def test_keys_are_cached_and_refetched_only_for_unknown_kids(issuer: Issuer) -> None:
    verifier = issuer.verifier(refetch_interval=0)
    for _ in range(5):
        await verifier.verify(issuer.token())
    assert issuer.fetches == 1
    issuer.rotate()
    assert (await verifier.verify(issuer.token()))["sub"] == "user-1"
    assert issuer.fetches == 2


async def test_unknown_kid_refetches_are_rate_limited(issuer: Issuer) -> None:
    verifier = issuer.verifier(refetch_interval=60)
    await verifier.verify(issuer.token())
    forged = encode_jwt(
        {"sub": "x", "exp": int(time.time()) + 60},
        key_from_jwk(issuer.private, "EdDSA"),
        "EdDSA",
        headers={"kid": "nope"},
    )
    for _ in range(10):
        with pytest.raises(JWTError) as error:
            await verifier.verify(forged)
        assert error.value.reason == "kid"
    assert issuer.fetches == 2  # one refetch for the unknown kid, then the rate limit holds


async def test_survives_the_jwks_endpoint_being_down(issuer: Issuer) -> None:
    verifier = issuer.verifier(cache_seconds=0, refetch_interval=0)
    await verifier.verify(issuer.token())
    issuer.down = True
    assert (await verifier.verify(issuer.token()))["sub"] == "user-1"  # stale keys kept
    issuer.down = False
    issuer.rotate()
    assert (await verifier.verify(issuer.token()))["sub"] == "user-1"


async def test_first_fetch_failing_is_a_401_not_a_crash(issuer: Issuer) -> None:
    issuer.down = True
    with pytest.raises(JWTError):
        await issuer.verifier().verify(issuer.token())


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _with_header(token: str, header: dict[str, Any]) -> str:
    return _b64(header) + "." + token.split(".", 1)[1]


ATTACKS = {
    "alg-none": lambda i: _b64({"alg": "none", "kid": i.kid}) + "." + i.token().split(".")[1] + ".",
    "hs256-with-public-key": lambda i: pyjwt.encode(
        {"sub": "user-1", "exp": int(time.time()) + 60, "iss": ISS, "aud": ISS},
        json.dumps(i.keys[0]).encode() * 2,
        algorithm="HS256",
        headers={"kid": i.kid},
    ),
    "unknown-kid": lambda i: _with_header(i.token(), {"alg": "EdDSA", "kid": "someone-else"}),
    "no-kid": lambda i: _with_header(i.token(), {"alg": "EdDSA"}),
    "alg-swapped-to-es256": lambda i: _with_header(i.token(), {"alg": "ES256", "kid": i.kid}),
    "expired": lambda i: i.token(exp=int(time.time()) - 60),
    "future-nbf": lambda i: i.token(nbf=int(time.time()) + 600),
    "wrong-issuer": lambda i: i.token(iss="https://evil.example"),
    "wrong-audience": lambda i: i.token(aud="another-api"),
    "no-exp": lambda i: i.token(exp=None),
    "no-sub": lambda i: i.token(sub=None),
    "empty-sub": lambda i: i.token(sub=""),
    "truncated": lambda i: i.token()[:-10],
    "bit-flipped-signature": lambda i: i.token()[:-2] + ("A" if i.token()[-2] != "A" else "B") + i.token()[-1],
    "bit-flipped-claims": lambda i: i.token().replace(".eyJ", ".eyK", 1),
    "two-segments": lambda i: ".".join(i.token().split(".")[:2]),
    "oversized-header": lambda i: _with_header(i.token(), {"alg": "EdDSA", "kid": i.kid, "x": "A" * 20000}),
    "empty": lambda i: "",
}


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_attacks_are_refused(issuer: Issuer, attack: str) -> None:
    token = ATTACKS[attack](issuer)
    with pytest.raises(JWTError):
        await issuer.verifier(leeway=5).verify(token)


async def test_expired_is_distinguishable_and_leeway_applies(issuer: Issuer) -> None:
    with pytest.raises(ExpiredJWTError):
        await issuer.verifier().verify(issuer.token(exp=int(time.time()) - 60))
    assert await issuer.verifier(leeway=120).verify(issuer.token(exp=int(time.time()) - 60))
    assert await issuer.verifier(leeway=30).verify(issuer.token(nbf=int(time.time()) + 10))


async def test_hs256_shared_secret_mode() -> None:
    verifier = JWTVerifier(secret=SECRET, issuer=ISS)
    now = int(time.time())
    good = pyjwt.encode({"sub": "u1", "exp": now + 60, "iss": ISS}, SECRET, algorithm="HS256")
    assert (await verifier.verify(good))["sub"] == "u1"
    for bad in (
        pyjwt.encode(
            {"sub": "u1", "exp": now + 60, "iss": ISS}, "wrong-secret-0123456789abcdef0123", algorithm="HS256"
        ),
        pyjwt.encode({"sub": "u1", "exp": now + 60, "iss": ISS}, SECRET + SECRET, algorithm="HS512"),
        _b64({"alg": "none"}) + "." + _b64({"sub": "u1", "exp": now + 60, "iss": ISS}) + ".",
    ):
        with pytest.raises(JWTError):
            await verifier.verify(bad)


def test_configuration_mistakes_are_refused() -> None:
    with pytest.raises(ConfigurationError):
        JWTVerifier()
    with pytest.raises(ConfigurationError):
        JWTVerifier(secret=SECRET, jwks_url="https://x")
    with pytest.raises(ConfigurationError):
        JWTVerifier(secret=SECRET, algorithms=["EdDSA"])
    with pytest.raises(ConfigurationError):
        JWTVerifier(jwks={"keys": []}, algorithms=["HS256"])
    with pytest.raises(ConfigurationError):
        JWTVerifier(jwks={"keys": []}, algorithms=["none"])


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=400)
    | st.from_regex(r"[A-Za-z0-9_-]{0,60}\.[A-Za-z0-9_-]{0,60}\.[A-Za-z0-9_-]{0,90}", fullmatch=True)
)
def test_any_input_raises_only_jwt_error(token: str) -> None:
    import asyncio

    verifier = JWTVerifier(secret=SECRET)
    try:
        asyncio.run(verifier.verify(token))
    except JWTError:
        pass
