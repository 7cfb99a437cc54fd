"""The official client with jwtClient(), cookie-less (bearer only), against the Python server and Better Auth.

token_flow.mjs signs up, reads ``set-auth-token``, then uses only ``Authorization: Bearer``: get-session
(with ``set-auth-jwt``), ``/token`` and ``/jwks`` verified with jose, update-user without Origin, a wrong
token, sign-out. The same flow runs against the real Better Auth server as a harness self-check.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Server, assert_flow, python_database_url, run_node_script

pytestmark = pytest.mark.interop

STEPS = [
    "sign-up returns set-auth-token",
    "get-session with only the bearer token",
    "token and jwks verify with jose",
    "update-user by bearer without Origin",
    "wrong bearer token is anonymous",
    "sign-out by bearer",
]


def test_harness_against_real_better_auth(
    node: str, node_modules: Path, start_ts_server: Callable[..., Server], database: str
) -> None:
    server = start_ts_server(database, migrate=True, plugins="bearer,jwt")
    assert_flow(run_node_script(node, "token_flow.mjs", server.url), server, STEPS)


def test_official_jwt_client_against_python(
    database: str, node: str, node_modules: Path, start_py_server: Callable[..., Server]
) -> None:
    server = start_py_server(python_database_url(database), plugins="bearer,jwt")
    assert_flow(run_node_script(node, "token_flow.mjs", server.url), server, STEPS)
