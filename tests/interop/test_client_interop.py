"""The official Better Auth JS client (better-auth/client 1.7.24) against the Python server.

client_flow.mjs drives ``createAuthClient`` through sign-up, sessions, revocation, update-user and error
cases and prints one JSON line per step. The same flow also runs once against the real Better Auth server,
which proves the harness (and every expectation in it) is right.

Each run must pass every step (what the client sees: data, errors, the cookies it keeps), and then show no
wire deviation from Better Auth that the client happens to tolerate (date format, JSON keys, Set-Cookie
attributes, cache headers).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Server, assert_flow, python_database_url, run_client_flow

pytestmark = pytest.mark.interop


def test_harness_against_real_better_auth(
    node: str, node_modules: Path, start_ts_server: Callable[..., Server], database: str
) -> None:
    """The flow's expectations hold against Better Auth itself (schema made by its own migrations)."""
    server = start_ts_server(database, migrate=True)
    assert_flow(run_client_flow(node, server.url), server)


def test_official_client_against_python_server(
    database: str, node: str, node_modules: Path, start_py_server: Callable[..., Server]
) -> None:
    server = start_py_server(python_database_url(database))
    assert_flow(run_client_flow(node, server.url), server)
