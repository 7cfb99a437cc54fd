"""Versioned secrets (``secrets`` / ``BETTER_AUTH_SECRETS``), as Better Auth 1.7.24 rotates them.

A server restarted with a new current secret keeps its users signed in and its stored keys readable:
cookies, email tokens and bare-hex rows made with the old secret still verify and decrypt; everything
new is signed with the new secret and encrypted as a ``$ba$<version>$`` envelope.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pydantic import ValidationError

from fastapi_betterauth import AuthSettings, BetterAuth, ConfigurationError, jwt, require_jwt
from fastapi_betterauth.crypto.purpose import purpose_decrypt, purpose_encrypt
from fastapi_betterauth.crypto.signing import sign_value
from fastapi_betterauth.crypto.symmetric import DecryptionError, SecretConfig
from tests.conftest import BASE_URL, FastTestHasher, make_settings

pytestmark = pytest.mark.anyio
OLD = "old-secret-0123456789abcdef0123456789abcdef"
NEW = "new-secret-fedcba9876543210fedcba9876543210"
NEWER = "newer-secret-0011223344556677889900aabbccddee"
VECTORS: dict[str, Any] = json.loads((Path(__file__).parent / "compat" / "vectors.json").read_text())


def test_better_auth_secrets_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BETTER_AUTH_SECRETS", f"2:{NEW}, 1:{OLD}")
    monkeypatch.setenv("BETTER_AUTH_SECRET", OLD)
    settings = AuthSettings(environment="test")
    assert [(s.version, s.value.get_secret_value()) for s in settings.secrets] == [(2, NEW), (1, OLD)]
    assert settings.secret_value() == NEW
    assert settings.verification_secrets() == (NEW, OLD)
    config = settings.secret_config()
    assert config.current_version == 2 and config.encrypt("x").startswith("$ba$2$")
    for bad in ("nope", f"x:{NEW}", "1:", f"1:{NEW},1:{OLD}"):
        monkeypatch.setenv("BETTER_AUTH_SECRETS", bad)
        with pytest.raises(ValidationError):
            AuthSettings(environment="test")


def test_a_deployment_checks_the_current_versioned_secret() -> None:
    with pytest.raises(ConfigurationError, match="too weak"):
        BetterAuth(
            AuthSettings(
                environment="production", base_url="https://api.example.com", secrets=[{"version": 1, "value": "short"}]
            ),
            database="sqlite+aiosqlite:///:memory:",
        )


def test_npm_envelopes_open_with_the_same_configuration() -> None:
    rotation = VECTORS["symmetric_encryption_rotation"]
    config = SecretConfig(
        rotation["keys"][str(rotation["current_version"])],
        versions={int(k): v for k, v in rotation["keys"].items()},
        current_version=rotation["current_version"],
        legacy=(rotation["legacy_secret"],),
    )
    assert config.decrypt(rotation["envelope"]["ciphertext"]) == rotation["envelope"]["plaintext"]
    assert config.decrypt(rotation["legacy"]["ciphertext"]) == rotation["legacy"]["plaintext"]


def test_purpose_keys_follow_the_versions() -> None:
    v1 = SecretConfig(OLD, versions={1: OLD}, current_version=1)
    v2 = SecretConfig(NEW, versions={2: NEW, 1: OLD}, current_version=2)
    made_v1 = purpose_encrypt(v1, "oauth-link-session-token", "session-token")
    assert made_v1.startswith("$ba$1$")
    assert purpose_decrypt(v2, "oauth-link-session-token", made_v1) == "session-token"
    assert purpose_encrypt(v2, "oauth-link-session-token", "t").startswith("$ba$2$")
    with pytest.raises(DecryptionError):
        purpose_decrypt(v2, "oauth-state-cookie", made_v1)  # another purpose never opens it
    with pytest.raises(DecryptionError):
        purpose_decrypt(
            SecretConfig(NEWER, versions={3: NEWER}, current_version=3), "oauth-link-session-token", made_v1
        )


def app_for(auth: BetterAuth) -> FastAPI:
    app = FastAPI()
    app.include_router(auth.router)

    @app.get("/claims")
    async def claims(claims: Annotated[dict[str, Any], require_jwt()]) -> dict[str, Any]:
        return claims

    return app


async def serve(database: str, **settings: Any) -> tuple[BetterAuth, LifespanManager, httpx.AsyncClient]:
    auth = BetterAuth(make_settings(**settings), database=database, plugins=[jwt()], password_hasher=FastTestHasher())
    await auth.create_schema()
    manager = LifespanManager(app_for(auth))
    await manager.__aenter__()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url=BASE_URL)
    return auth, manager, client


async def test_rotating_the_secret_keeps_users_signed_in_and_keys_readable(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path}/rotation.db"
    # Before: one secret.
    auth, manager, client = await serve(database, secret=OLD)
    signed_up = await client.post(
        "/api/auth/sign-up/email", json={"email": "r@example.com", "password": "password123", "name": "R"}
    )
    assert signed_up.status_code == 200
    old_cookie = client.cookies.get("better-auth.session_token")
    old_jwt = (await client.get("/api/auth/token")).json()["token"]
    [old_row] = await auth.adapter.find_many("jwks")
    assert not json.loads(old_row["privateKey"]).startswith("$ba$")  # bare hex under the old secret
    await client.aclose()
    await manager.__aexit__(None, None, None)

    # After: version 2 is current, the old secret stays as Better Auth's legacy secret.
    auth, manager, client = await serve(database, secret=OLD, secrets=[{"version": 2, "value": NEW}])
    client.cookies.set("better-auth.session_token", old_cookie or "")
    session = await client.get("/api/auth/get-session")
    assert session.status_code == 200 and session.json()["user"]["email"] == "r@example.com"
    assert (await client.get("/claims", headers={"authorization": f"Bearer {old_jwt}"})).status_code == 200
    assert (await client.get("/api/auth/token")).status_code == 200  # the old key still signs
    fresh = await auth.context.extensions["jwt"].keys.create()
    assert json.loads(fresh["privateKey"]).startswith("$ba$2$")
    client.cookies.clear()
    signed_in = await client.post("/api/auth/sign-in/email", json={"email": "r@example.com", "password": "password123"})
    token = signed_in.json()["token"]
    cookie = client.cookies.get("better-auth.session_token")
    assert cookie is not None and httpx.URL(f"?v={cookie}").params["v"] == sign_value(token, NEW)
    await client.aclose()
    await manager.__aexit__(None, None, None)

    # Later: version 3 current, version 2 kept, the first secret retired: its rows no longer open, v2's do.
    auth, manager, client = await serve(
        database, secret=NEWER, secrets=[{"version": 3, "value": NEWER}, {"version": 2, "value": NEW}]
    )
    keys = auth.context.extensions["jwt"].keys
    assert keys._import(fresh).kid == fresh["id"]
    with pytest.raises(ConfigurationError, match="cannot decrypt"):
        keys._import(old_row)
    await client.aclose()
    await manager.__aexit__(None, None, None)
