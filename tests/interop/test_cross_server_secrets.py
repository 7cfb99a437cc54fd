"""Versioned secrets across servers: Python and the real Better Auth 1.7.24 with the same ``secrets`` share one
database both ways, including a ``jwks`` key made before the rotation (bare hex under the legacy secret)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest

from fastapi_betterauth import JWTVerifier
from fastapi_betterauth.crypto.jwt import unverified_header

from .conftest import Server, db_query, python_database_url
from .test_cross_server_tokens import PLUGINS, call, jwt_for

pytestmark = pytest.mark.interop

OLD = "old-secret-0123456789abcdef0123456789abcdef"
NEW = "new-secret-fedcba9876543210fedcba9876543210"
VERSIONS = [{"version": 2, "value": NEW}, {"version": 1, "value": OLD}]


def private_keys(database: str) -> list[str]:
    return [json.loads(row["privateKey"]) for row in db_query(database, 'SELECT "privateKey" FROM jwks')]


def verifies(server: Server, token: str) -> bool:
    verifier = JWTVerifier(jwks_url=f"{server.url}/api/auth/jwks")
    return bool(asyncio.run(verifier.verify(token))["sub"])


@pytest.mark.parametrize("maker", ["ts", "py"])
def test_versioned_secrets_are_shared_both_ways(
    database: str, start_py_server: Callable[..., Server], start_ts_server: Callable[..., Server], maker: str
) -> None:
    py = start_py_server(python_database_url(database), plugins=PLUGINS, secret=OLD, settings={"secrets": VERSIONS})
    ts = start_ts_server(database, plugins=PLUGINS, secret=OLD, options={"secrets": VERSIONS})
    first, second = (ts, py) if maker == "ts" else (py, ts)
    token, signed_up = jwt_for(first)
    [stored] = private_keys(database)
    assert stored.startswith("$ba$2$")  # an envelope under the current version, whoever made it
    other_token, _ = jwt_for(second)  # the other server signs with the same (decrypted) key
    assert unverified_header(other_token)["kid"] == unverified_header(token)["kid"]
    assert verifies(second, token) and verifies(first, other_token)
    # A bearer session token signed by one (with the current secret) is a session on the other.
    bearer = signed_up.headers["set-auth-token"]
    session = call(second, "GET", "/get-session", Authorization=f"Bearer {bearer}")
    assert session.status_code == 200 and session.json()["user"]["id"] == signed_up.json()["user"]["id"]


def test_a_key_made_before_the_rotation_still_signs_on_both(
    database: str, start_py_server: Callable[..., Server], start_ts_server: Callable[..., Server]
) -> None:
    before = start_py_server(python_database_url(database), plugins=PLUGINS, secret=OLD)
    old_token, signed_up = jwt_for(before)
    [stored] = private_keys(database)
    assert not stored.startswith("$ba$")  # bare hex: no versions yet
    before.stop()
    py = start_py_server(
        python_database_url(database), plugins=PLUGINS, secret=OLD, settings={"secrets": VERSIONS}, create_schema=False
    )
    ts = start_ts_server(database, plugins=PLUGINS, secret=OLD, options={"secrets": VERSIONS})
    for server in (py, ts):
        token, _ = jwt_for(server)  # the pre-rotation key decrypts with the legacy secret and keeps signing
        assert unverified_header(token)["kid"] == unverified_header(old_token)["kid"]
        assert verifies(server, old_token)
    # A cookie-era session token signed with the old secret still works on Python (verified with every secret).
    bearer = signed_up.headers["set-auth-token"]
    assert call(py, "GET", "/get-session", Authorization=f"Bearer {bearer}").status_code == 200
