"""jwt plugin key rotation on a controllable clock (time-machine), extra key algorithms, and signing hooks.

Better Auth 1.7.24's rules (protocol §9.1, ``plugins/jwt/sign.mjs``): a key gets ``expiresAt = createdAt +
rotationInterval``; once the newest key of the configured algorithm has expired the next token mints a new
one; expired keys stay in ``/jwks`` for ``gracePeriod`` and then leave it. Tokens signed with a key verify
exactly as long as the key is published, whichever verifier is asked.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from fastapi_betterauth import ConfigurationError, JWTVerifier, KeyPairConfig, bearer, jwt, require_jwt
from fastapi_betterauth.crypto.jwt import JWTError, encode_jwt, unverified_header
from tests.conftest import BASE_URL

pytestmark = pytest.mark.anyio
API = "/api/auth"
HOUR = timedelta(hours=1)


def app_with_claims(auth: Any) -> FastAPI:
    application = FastAPI(lifespan=auth.lifespan)
    application.include_router(auth.router)

    @application.get("/claims")
    async def claims(claims: Annotated[dict[str, Any], require_jwt()]) -> dict[str, Any]:
        return claims

    return application


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """Real time, ticking, that the test moves forward: what the server, PyJWT and the verifiers all read."""
    with time_machine.travel(datetime.now(UTC), tick=True) as traveller:
        yield traveller


async def signed_up(make_client: Callable[..., Any], **jwt_options: Any) -> tuple[httpx.AsyncClient, Any]:
    client, auth = await make_client(plugins=[bearer(), jwt(**jwt_options)], app=app_with_claims)
    response = await client.post(
        f"{API}/sign-up/email", json={"email": "rot@example.com", "password": "password123", "name": "R"}
    )
    assert response.status_code == 200, response.text
    return client, auth


async def token(client: httpx.AsyncClient) -> str:
    response = await client.get(f"{API}/token")
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


async def published(client: httpx.AsyncClient) -> dict[str, Any]:
    document: dict[str, Any] = (await client.get(f"{API}/jwks")).json()
    return document


async def accepted(client: httpx.AsyncClient, jwt_token: str) -> bool:
    """Whether the server's own verifier (``require_jwt``) takes the token."""
    response = await client.get("/claims", headers={"authorization": f"Bearer {jwt_token}"})
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


async def test_keys_rotate_on_schedule_and_old_tokens_verify_through_the_grace_period(
    make_client: Callable[..., Any], clock: time_machine.Traveller
) -> None:
    # Tokens live 3 hours so that the key's life, not the token's, decides when they stop verifying.
    client, auth = await signed_up(make_client, rotation_interval=3600, grace_period=1800, expiration_time="3h")
    first = await token(client)
    first_kid = unverified_header(first)["kid"]

    clock.shift(59 * 60)  # the key is still live: the same key signs
    assert unverified_header(await token(client))["kid"] == first_kid

    clock.shift(2 * 60)  # 61 minutes: expired, so the next token mints a new key
    second = await token(client)
    second_kid = unverified_header(second)["kid"]
    assert second_kid != first_kid
    rows = {r["id"]: r for r in await auth.adapter.find_many("jwks")}
    assert set(rows) == {first_kid, second_kid}
    assert rows[second_kid]["expiresAt"] - rows[second_kid]["createdAt"] == HOUR
    assert unverified_header(await token(client))["kid"] == second_kid  # the new key keeps signing

    # Inside the grace period (key expired 29 minutes ago): both keys published, both tokens verify,
    # for this server and for a resource server reading its /jwks.
    clock.shift(28 * 60)
    document = await published(client)
    assert {k["kid"] for k in document["keys"]} == {first_kid, second_kid}
    verifier = JWTVerifier(jwks=document, issuer=BASE_URL, audience=BASE_URL)
    assert (await verifier.verify(first))["sub"] == (await verifier.verify(second))["sub"]
    assert await accepted(client, first) and await accepted(client, second)

    # Past the grace period: the old key leaves /jwks and its token stops verifying everywhere, though
    # the token itself has not expired (it lives 3 hours) and this process had imported the key.
    clock.shift(2 * 60)
    document = await published(client)
    assert {k["kid"] for k in document["keys"]} == {second_kid}
    with pytest.raises(JWTError):
        await JWTVerifier(jwks=document, issuer=BASE_URL, audience=BASE_URL).verify(first)
    assert not await accepted(client, first)
    assert await accepted(client, second)
    assert unverified(second)["exp"] > datetime.now(UTC).timestamp()


async def test_without_rotation_one_key_signs_forever(
    make_client: Callable[..., Any], clock: time_machine.Traveller
) -> None:
    client, auth = await signed_up(make_client)
    first = await token(client)
    clock.shift(timedelta(days=400))
    later = await auth.sign_jwt({"sub": "u1"})
    assert unverified_header(first)["kid"] == unverified_header(later)["kid"]
    assert len(await auth.adapter.find_many("jwks")) == 1
    assert await accepted(client, later)


async def test_extra_algorithms_are_minted_on_first_pinned_use(make_client: Callable[..., Any]) -> None:
    client, auth = await signed_up(make_client, key_pair_configs=["ES256", KeyPairConfig("RS256", modulus_length=2048)])
    session_token = await token(client)
    assert unverified_header(session_token)["alg"] == "EdDSA"
    assert [r["alg"] for r in await auth.adapter.find_many("jwks")] == ["EdDSA"]  # nothing minted up front

    es = await auth.sign_jwt({"sub": "service-a", "scope": "reports"}, algorithm="ES256")
    header = unverified_header(es)
    assert header["alg"] == "ES256"
    again = await auth.sign_jwt({"sub": "service-a"}, algorithm="ES256")
    assert unverified_header(again)["kid"] == header["kid"]  # reused, not minted twice
    rows = {r["id"]: r for r in await auth.adapter.find_many("jwks")}
    assert rows[header["kid"]]["alg"] == "ES256" and rows[header["kid"]]["crv"] == "P-256"

    rs = await auth.sign_jwt({"sub": "service-b"}, algorithm="RS256")
    assert unverified_header(rs)["alg"] == "RS256"
    document = await published(client)
    assert sorted(k["alg"] for k in document["keys"]) == ["ES256", "EdDSA", "RS256"]
    verifier = JWTVerifier(jwks=document, issuer=BASE_URL, audience=BASE_URL)
    claims = await verifier.verify(es)
    assert (claims["sub"], claims["scope"], claims["iss"], claims["aud"]) == (
        "service-a",
        "reports",
        BASE_URL,
        BASE_URL,
    )
    assert claims["exp"] == claims["iat"] + 900 if "iat" in claims else claims["exp"] > 0
    assert (await verifier.verify(rs))["sub"] == "service-b"
    # Unpinned tokens stay on the configured algorithm after the others exist.
    assert unverified_header(await token(client))["alg"] == "EdDSA"

    # A pinned kid signs with exactly that key; pins nothing satisfies are refused with the fix in the message.
    pinned = await auth.sign_jwt({"sub": "x"}, key_id=header["kid"])
    assert unverified_header(pinned)["kid"] == header["kid"]
    with pytest.raises(ConfigurationError, match="key_pair_configs"):
        await auth.sign_jwt({"sub": "x"}, algorithm="PS256")
    with pytest.raises(ConfigurationError, match="no key with kid"):
        await auth.sign_jwt({"sub": "x"}, key_id="no-such-kid")
    with pytest.raises(ConfigurationError, match="not RS256"):
        await auth.sign_jwt({"sub": "x"}, key_id=header["kid"], algorithm="RS256")


async def test_a_pinned_key_that_expired_is_not_replaced_silently(
    make_client: Callable[..., Any], clock: time_machine.Traveller
) -> None:
    _, auth = await signed_up(make_client, rotation_interval=600, key_pair_configs=["ES256"])
    kid = unverified_header(await auth.sign_jwt({"sub": "x"}, algorithm="ES256"))["kid"]
    clock.shift(601)
    with pytest.raises(ConfigurationError, match="expired"):
        await auth.sign_jwt({"sub": "x"}, key_id=kid)
    # Pinned by algorithm, a fresh key of it is minted (the expired one no longer counts).
    assert unverified_header(await auth.sign_jwt({"sub": "x"}, algorithm="ES256"))["kid"] != kid


async def test_sign_jwt_claims_and_header(make_client: Callable[..., Any]) -> None:
    _, auth = await signed_up(make_client, issuer="https://issuer.example", audience="api")
    signed = await auth.sign_jwt(
        {"sub": "u1", "iat": 1_800_000_000, "aud": "other"}, header={"typ": "logout+jwt", "alg": "none", "kid": "x"}
    )
    header = unverified_header(signed)
    assert header["typ"] == "logout+jwt" and header["alg"] == "EdDSA" and header["kid"] != "x"
    claims = unverified(signed)
    # exp from the given iat, the configured issuer, the caller's audience kept.
    assert (claims["exp"], claims["iss"], claims["aud"]) == (1_800_000_900, "https://issuer.example", "other")


async def test_sign_jwt_refuses_to_guess_the_issuer(make_client: Callable[..., Any]) -> None:
    _, auth = await make_client(plugins=[jwt()], base_url=None)
    with pytest.raises(ConfigurationError, match="base_url"):
        await auth.sign_jwt({"sub": "u1"})
    _, plain = await make_client()
    with pytest.raises(ConfigurationError, match="jwt"):
        await plain.sign_jwt({"sub": "u1"})


async def test_get_subject_sets_sub(make_client: Callable[..., Any]) -> None:
    async def subject(session: Mapping[str, Any], user: Mapping[str, Any]) -> str:
        return f"user:{user['email']}"

    client, _ = await signed_up(make_client, get_subject=subject)
    claims = unverified(await token(client))
    assert claims["sub"] == "user:rot@example.com"
    header_jwt = (await client.get(f"{API}/get-session")).headers["set-auth-jwt"]
    assert unverified(header_jwt)["sub"] == "user:rot@example.com"


def unverified(jwt_token: str) -> dict[str, Any]:
    """A token's claims, signature unchecked (to look at what was signed)."""
    part = jwt_token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return claims


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def test_a_remote_signer_signs_every_token(make_client: Callable[..., Any]) -> None:
    """``jwt(sign=...)``: a KMS holds the key; the plugin builds the claims and publishes nothing itself."""
    kms_key = Ed25519PrivateKey.generate()
    seen: list[tuple[dict[str, Any], Any, Any]] = []

    async def kms_sign(claims: dict[str, Any], header: Mapping[str, str] | None, overrides: Any) -> str:
        seen.append((dict(claims), header, overrides))
        return encode_jwt(claims, kms_key, "EdDSA", headers={**(header or {}), "kid": "kms-1"})

    client, auth = await signed_up(make_client, sign=kms_sign, remote_jwks_url="https://kms.example/jwks")
    issued = await token(client)
    assert unverified_header(issued)["kid"] == "kms-1"
    claims, header, _ = seen[-1]
    assert (claims["iss"], claims["aud"], claims["exp"] - claims["iat"], header) == (BASE_URL, BASE_URL, 900, None)
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = kms_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    kms_jwks = {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": b64url(raw), "kid": "kms-1", "alg": "EdDSA"}]}
    verified = await JWTVerifier(jwks=kms_jwks, issuer=BASE_URL, audience=BASE_URL).verify(issued)
    assert verified["email"] == "rot@example.com"
    assert (await client.get(f"{API}/jwks")).status_code == 404  # the keys are the KMS's to publish
    assert await auth.adapter.find_many("jwks") == []  # no local key was ever made

    await auth.sign_jwt({"sub": "svc"}, algorithm="EdDSA", header={"typ": "logout+jwt"})
    _, header, overrides = seen[-1]
    assert header == {"typ": "logout+jwt"} and overrides.algorithm == "EdDSA"

    async def wrong(claims: dict[str, Any], header: Any, overrides: Any) -> Any:
        return {"not": "a token"}

    _, bad = await make_client(plugins=[jwt(sign=wrong, remote_jwks_url="https://kms.example/jwks")])
    with pytest.raises(Exception, match="string"):
        await bad.sign_jwt({"sub": "svc"})


def test_configuration_mistakes_are_named() -> None:
    def signer(claims: dict[str, Any], header: Any, overrides: Any) -> str:
        return "x"

    with pytest.raises(ConfigurationError, match="remote_jwks_url"):
        jwt(sign=signer)
    with pytest.raises(ConfigurationError, match="unknown algorithm"):
        jwt(key_pair_configs=["HS256"])
    assert json.dumps(KeyPairConfig("ES256").__dict__)  # a plain, serialisable configuration
