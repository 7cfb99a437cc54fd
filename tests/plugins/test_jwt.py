"""The jwt plugin over HTTP (protocol §9.1): /token, /jwks, set-auth-jwt, algorithms, rotation, JWT callers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI

from fastapi_betterauth import CurrentSession, CurrentUser, JWTVerifier, User, Where, bearer, jwt, require_jwt
from fastapi_betterauth.crypto.jwt import JWTError, unverified_header
from fastapi_betterauth.crypto.symmetric import symmetric_decrypt
from tests.conftest import BASE_URL, SECRET

pytestmark = pytest.mark.anyio
API = "/api/auth"


def app_with_routes(auth: Any) -> FastAPI:
    application = FastAPI(lifespan=auth.lifespan)
    application.include_router(auth.router)

    @application.get("/me")
    async def me(user: CurrentUser) -> User:
        return user

    @application.get("/session-only")
    async def session_only(session: CurrentSession) -> dict[str, str]:
        return {"token": session.session.token}

    @application.get("/claims")
    async def claims(claims: Annotated[dict[str, Any], require_jwt()]) -> dict[str, Any]:
        return claims

    return application


async def signed_up(
    make_client: Callable[..., Any], **jwt_options: Any
) -> tuple[httpx.AsyncClient, Any, dict[str, Any]]:
    client, auth = await make_client(plugins=[bearer(), jwt(**jwt_options)], app=app_with_routes)
    response = await client.post(
        f"{API}/sign-up/email", json={"email": "j@example.com", "password": "password123", "name": "J"}
    )
    assert response.status_code == 200
    return client, auth, response.json()


async def test_token_and_jwks(make_client: Callable[..., Any]) -> None:
    client, auth, body = await signed_up(make_client)
    token = (await client.get(f"{API}/token")).json()["token"]
    keys = (await client.get(f"{API}/jwks")).json()
    assert len(keys["keys"]) == 1
    key = keys["keys"][0]
    assert list(key) == ["alg", "crv", "x", "kty", "kid"] and (key["alg"], key["crv"], key["kty"]) == (
        "EdDSA",
        "Ed25519",
        "OKP",
    )
    assert unverified_header(token) == {"alg": "EdDSA", "kid": key["kid"]}
    claims = await JWTVerifier(jwks=keys, issuer=BASE_URL, audience=BASE_URL).verify(token)
    user = body["user"]
    assert claims["sub"] == user["id"] and claims["email"] == "j@example.com"
    assert claims["createdAt"] == user["createdAt"]
    assert claims["exp"] - claims["iat"] == 900
    assert next(iter(claims)) == "iat" and list(claims)[-4:] == ["sub", "exp", "iss", "aud"]
    row = (await auth.adapter.find_many("jwks"))[0]
    assert row["id"] == key["kid"] and (row["alg"], row["crv"], row["expiresAt"]) == ("EdDSA", "Ed25519", None)
    private = json.loads(symmetric_decrypt(json.loads(row["privateKey"]), (SECRET,)))
    assert set(private) == {"crv", "d", "x", "kty"} and private["x"] == key["x"]


async def test_get_session_carries_set_auth_jwt(make_client: Callable[..., Any]) -> None:
    client, _, body = await signed_up(make_client)
    response = await client.get(f"{API}/get-session")
    jwt_header = response.headers["set-auth-jwt"]
    assert response.headers["access-control-expose-headers"] == "set-auth-jwt"
    keys = (await client.get(f"{API}/jwks")).json()
    assert (await JWTVerifier(jwks=keys).verify(jwt_header))["sub"] == body["user"]["id"]
    client.cookies.clear()
    anonymous = await client.get(f"{API}/get-session")
    assert anonymous.json() is None and "set-auth-jwt" not in anonymous.headers
    assert (await client.get(f"{API}/token")).status_code == 401


@pytest.mark.parametrize(
    ("algorithm", "kty", "crv"),
    [
        ("EdDSA", "OKP", "Ed25519"),
        ("ES256", "EC", "P-256"),
        ("ES512", "EC", "P-521"),
        ("RS256", "RSA", None),
        ("PS256", "RSA", None),
    ],
)
async def test_every_algorithm_better_auth_offers(
    make_client: Callable[..., Any], algorithm: str, kty: str, crv: str | None
) -> None:
    client, _, _ = await signed_up(make_client, algorithm=algorithm)
    token = (await client.get(f"{API}/token")).json()["token"]
    key = (await client.get(f"{API}/jwks")).json()["keys"][0]
    assert (key["alg"], key["kty"], key.get("crv")) == (algorithm, kty, crv)
    assert unverified_header(token)["alg"] == algorithm
    verifier = JWTVerifier(jwks={"keys": [key]}, algorithms=[algorithm], issuer=BASE_URL, audience=BASE_URL)
    assert (await verifier.verify(token))["email"] == "j@example.com"


async def test_options_issuer_audience_lifetime_payload(make_client: Callable[..., Any]) -> None:
    client, _, _ = await signed_up(
        make_client,
        issuer="https://issuer.example",
        audience="todo-api",
        expiration_time="1h",
        define_payload=lambda session, user: {"email": user["email"], "sid": session["id"]},
        disable_setting_jwt_header=True,
    )
    token = (await client.get(f"{API}/token")).json()["token"]
    keys = (await client.get(f"{API}/jwks")).json()
    claims = await JWTVerifier(jwks=keys, issuer="https://issuer.example", audience="todo-api").verify(token)
    assert set(claims) == {"iat", "email", "sid", "sub", "exp", "iss", "aud"} and claims["exp"] - claims["iat"] == 3600
    assert "set-auth-jwt" not in (await client.get(f"{API}/get-session")).headers
    with pytest.raises(JWTError):
        await JWTVerifier(jwks=keys, issuer=BASE_URL).verify(token)


async def test_rotation_and_grace_period(make_client: Callable[..., Any]) -> None:
    client, auth, _ = await signed_up(make_client, rotation_interval=3600, grace_period=600)
    first = (await client.get(f"{API}/token")).json()["token"]
    old_kid = unverified_header(first)["kid"]
    row = await auth.adapter.find_one("jwks", [Where("id", old_kid)])
    assert row["expiresAt"] - row["createdAt"] == timedelta(hours=1)
    # The key expires: a new one signs, the old one is still published during the grace period.
    await auth.adapter.update("jwks", [Where("id", old_kid)], {"expiresAt": row["createdAt"] - timedelta(seconds=1)})
    auth.context.extensions["jwt"].keys.forget()
    second = (await client.get(f"{API}/token")).json()["token"]
    new_kid = unverified_header(second)["kid"]
    assert new_kid != old_kid
    kids = {k["kid"] for k in (await client.get(f"{API}/jwks")).json()["keys"]}
    assert kids == {old_kid, new_kid}
    # After the grace period it is gone.
    await auth.adapter.update("jwks", [Where("id", old_kid)], {"expiresAt": row["createdAt"] - timedelta(days=1)})
    kids = {k["kid"] for k in (await client.get(f"{API}/jwks")).json()["keys"]}
    assert kids == {new_kid}


async def test_signing_key_is_decrypted_once(make_client: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi_betterauth.crypto.symmetric import SecretConfig

    calls = 0
    real = SecretConfig.decrypt

    def counting(self: SecretConfig, data: str) -> str:
        nonlocal calls
        calls += 1
        return real(self, data)

    monkeypatch.setattr(SecretConfig, "decrypt", counting)
    client, _, _ = await signed_up(make_client)
    for _ in range(20):
        assert "set-auth-jwt" in (await client.get(f"{API}/get-session")).headers
    assert calls == 1


async def test_current_user_accepts_the_jwt_and_reads_the_user_fresh(make_client: Callable[..., Any]) -> None:
    client, auth, body = await signed_up(make_client)
    token = (await client.get(f"{API}/token")).json()["token"]
    client.cookies.clear()
    bearer_jwt = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/me", headers=bearer_jwt)).json()["email"] == "j@example.com"
    assert (await client.get("/claims", headers=bearer_jwt)).json()["sub"] == body["user"]["id"]
    # A JWT is not a session.
    assert (await client.get("/session-only", headers=bearer_jwt)).status_code == 401
    # The user row is read on every request: a rename shows at once, a deleted user is refused.
    await auth.store.update_user(body["user"]["id"], {"name": "Renamed"})
    assert (await client.get("/me", headers=bearer_jwt)).json()["name"] == "Renamed"
    await auth.store.delete_user(body["user"]["id"])
    assert (await client.get("/me", headers=bearer_jwt)).status_code == 401


async def test_a_burst_of_first_verifications_all_succeed(make_client: Callable[..., Any]) -> None:
    """Regression: while the first request loaded the key set, concurrent ones were refused ("unknown kid")."""
    client, _, _ = await signed_up(make_client)
    token = (await client.get(f"{API}/token")).json()["token"]
    client.cookies.clear()
    answers = await asyncio.gather(
        *(client.get("/me", headers={"Authorization": f"Bearer {token}"}) for _ in range(20))
    )
    assert [r.status_code for r in answers] == [200] * 20


@pytest.mark.parametrize(
    ("mangle", "code"),
    [
        (lambda t: t[:-3], "INVALID_TOKEN"),
        (lambda t: t.split(".")[0] + ".e30." + t.split(".")[2], "INVALID_TOKEN"),
        (lambda t: "a.b.c", "INVALID_TOKEN"),
    ],
    ids=["truncated", "swapped-claims", "garbage"],
)
async def test_bad_jwt_is_a_401_with_a_challenge(
    make_client: Callable[..., Any], mangle: Callable[[str], str], code: str
) -> None:
    client, _, _ = await signed_up(make_client)
    token = (await client.get(f"{API}/token")).json()["token"]
    client.cookies.clear()
    for path in ("/me", "/claims"):
        response = await client.get(path, headers={"Authorization": f"Bearer {mangle(token)}"})
        assert response.status_code == 401
        assert response.json()["code"] == code
        assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert (await client.get("/claims")).status_code == 401


async def test_wrong_secret_is_a_clear_configuration_error(make_client: Callable[..., Any]) -> None:
    client, auth, _ = await signed_up(make_client)
    await client.get(f"{API}/token")
    extension = auth.context.extensions["jwt"]
    from fastapi_betterauth.crypto.symmetric import SecretConfig

    extension.keys.secrets = SecretConfig("another-secret-0123456789abcdef0123")
    extension.keys.forget()
    from fastapi_betterauth import ConfigurationError

    with pytest.raises(ConfigurationError, match="another BETTER_AUTH_SECRET"):
        await extension.keys.signing_key()


async def test_non_ascii_claims_reach_the_token_as_utf8(make_client: Callable[..., Any]) -> None:
    """A JSON surrogate pair is one character: stored, answered and signed into the token as UTF-8."""
    client, _ = await make_client(plugins=[bearer(), jwt()], app=app_with_routes)
    paired = '{"email": "s@example.com", "password": "password123", "name": "\\ud83d\\ude00 \u00e9"}'
    signed = await client.post(f"{API}/sign-up/email", content=paired, headers={"content-type": "application/json"})
    assert signed.status_code == 200 and signed.json()["user"]["name"] == "\U0001f600 \u00e9"
    token = (await client.get(f"{API}/get-session")).headers["set-auth-jwt"]
    claims = (await client.get("/claims", headers={"Authorization": f"Bearer {token}"})).json()
    assert claims["name"] == "\U0001f600 \u00e9"
