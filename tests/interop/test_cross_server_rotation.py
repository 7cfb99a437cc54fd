"""jwt key rotation across the Python server and the real Better Auth 1.7.24 server on one database.

Both rotate every few seconds (``rotationInterval`` / ``rotation_interval``) with a short grace period and
the same issuer. Whichever server signs first after a key expires mints the next key; the other signs with
that row; tokens of either verify on the other (jose on each ``/jwks``, our own verifier) until their key
leaves ``/jwks`` at ``expiresAt + gracePeriod``, and not after.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from fastapi_betterauth._dates import parse_iso
from fastapi_betterauth.crypto.jwt import unverified_header

from .conftest import ORIGIN, Server, db_query, python_database_url, verify_jwt

pytestmark = pytest.mark.interop

ISSUER = "https://auth.example.com"
ROTATION = 4
GRACE = 10


@pytest.fixture
def pair(
    database: str,
    start_py_server: Callable[..., Server],
    start_ts_server: Callable[..., Server],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Server, Server, str]:
    monkeypatch.setenv(
        "TS_JWT_OPTIONS_JSON",
        json.dumps(
            {
                "jwks": {"rotationInterval": ROTATION, "gracePeriod": GRACE},
                "jwt": {"issuer": ISSUER, "audience": ISSUER},
            }
        ),
    )
    monkeypatch.setenv(
        "PY_JWT_OPTIONS_JSON",
        json.dumps({"rotation_interval": ROTATION, "grace_period": GRACE, "issuer": ISSUER, "audience": ISSUER}),
    )
    py = start_py_server(python_database_url(database), plugins="bearer,jwt")
    ts = start_ts_server(database, plugins="bearer,jwt")
    return py, ts, database


def call(server: Server, path: str, session_token: str | None = None, **kwargs: Any) -> httpx.Response:
    headers = {"Origin": ORIGIN}
    if session_token is not None:
        headers["Authorization"] = f"Bearer {session_token}"
    return httpx.request(kwargs.pop("method", "GET"), f"{server.url}{path}", headers=headers, timeout=30, **kwargs)


def token(server: Server, session_token: str) -> tuple[str, str]:
    response = call(server, "/api/auth/token", session_token)
    assert response.status_code == 200, response.text
    jwt_token = response.json()["token"]
    return jwt_token, unverified_header(jwt_token)["kid"]


def key_rows(database: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in db_query(database, 'select id, alg, "createdAt", "expiresAt" from "jwks"')}


def moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, UTC)
    return parse_iso(str(value))


def wait_until(when: datetime) -> None:
    time.sleep(max(0.0, (when - datetime.now(UTC)).total_seconds()) + 0.5)


def verifies(node: str, server: Server, jwt_token: str) -> bool:
    """jose (Better Auth's own library) verifying the token against ``server``'s published key set."""
    jwks = call(server, "/api/auth/jwks").json()
    return bool(verify_jwt(node, jwks, jwt_token, ISSUER)["ok"])


def python_accepts(py: Server, jwt_token: str) -> bool:
    """The Python server's own verifier (``CurrentIdentity`` on a route) taking the JWT as the credential."""
    response = call(py, "/me", jwt_token)
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200 and response.json()["via"] == "jwt"


def test_tokens_of_either_server_verify_on_the_other_across_a_rotation(
    pair: tuple[Server, Server, str], node: str
) -> None:
    py, ts, database = pair
    signed_up = call(
        py,
        "/api/auth/sign-up/email",
        method="POST",
        json={"email": "rotation@example.com", "password": "correct horse battery staple", "name": "Rot"},
    )
    assert signed_up.status_code == 200, signed_up.text
    session_token = signed_up.headers["set-auth-token"]

    py_first, first_kid = token(py, session_token)  # the empty table: Python mints the first key
    ts_first, ts_kid = token(ts, session_token)
    assert ts_kid == first_kid, "Better Auth did not sign with the key Python created"
    rows = key_rows(database)
    assert list(rows) == [first_kid]
    first_expires = moment(rows[first_kid]["expiresAt"])
    assert (first_expires - moment(rows[first_kid]["createdAt"])).total_seconds() == ROTATION

    # The first key expires. Better Auth signs first and mints the second key; Python signs with that row.
    wait_until(first_expires)
    ts_second, second_kid = token(ts, session_token)
    assert second_kid != first_kid
    py_second, py_kid = token(py, session_token)
    assert py_kid == second_kid, "Python did not sign with the key Better Auth created"
    assert key_rows(database)[second_kid]["alg"] == "EdDSA"

    # Inside the grace period both keys are published by both servers and every token verifies everywhere.
    for server in (py, ts):
        assert {k["kid"] for k in call(server, "/api/auth/jwks").json()["keys"]} == {first_kid, second_kid}
    for jwt_token in (py_first, ts_first, py_second, ts_second):
        assert verifies(node, py, jwt_token) and verifies(node, ts, jwt_token)
        assert python_accepts(py, jwt_token)

    # The second key expires: this time Python mints the third and Better Auth signs with it.
    wait_until(moment(key_rows(database)[second_kid]["expiresAt"]))
    py_third, third_kid = token(py, session_token)
    ts_third, ts_kid = token(ts, session_token)
    assert third_kid not in (first_kid, second_kid) and ts_kid == third_kid

    # Past the first key's grace period it leaves both key sets, and its tokens (still within their own
    # 15 minutes) stop verifying on both sides; the newer ones keep working.
    wait_until(moment(key_rows(database)[first_kid]["expiresAt"]) + timedelta(seconds=GRACE))
    for server in (py, ts):
        assert first_kid not in {k["kid"] for k in call(server, "/api/auth/jwks").json()["keys"]}
    for jwt_token in (py_first, ts_first):
        assert not verifies(node, py, jwt_token) and not verifies(node, ts, jwt_token)
        assert not python_accepts(py, jwt_token)
    for jwt_token in (py_second, ts_second, py_third, ts_third):
        assert verifies(node, ts, jwt_token) and python_accepts(py, jwt_token)
