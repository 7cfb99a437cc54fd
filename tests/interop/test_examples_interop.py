"""The examples as a Next.js frontend sees them: the official client signs in, then calls the app's API.

example_flow.mjs uses the session cookie, the bearer token, the jwt plugin's JWT (from ``authClient.token()``)
and an HS256 JWT signed with ``BETTER_AUTH_SECRET`` against each example served by uvicorn, on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import (
    ORIGIN,
    REPO_ROOT,
    SECRET,
    Server,
    _start,
    assert_flow,
    clean_env,
    free_port,
    python_database_url,
    run_node_script,
)

pytestmark = pytest.mark.interop

STEPS = {
    "todo": [
        "sign-up with the official client; every credential in hand",
        "tasks created and listed with each credential",
        "toggle, filter and validation as seed 002 says",
        "another user gets 404 and no tasks",
        "signing out ends cookie and bearer access",
    ],
    "rag_chat": [
        "sign-up with the official client; every credential in hand",
        "chat with sources, using each credential",
        "another user cannot see the conversation",
        "deleteUser from the client purges the chat data",
    ],
}


@pytest.fixture
def start_example(servers: list[Server], tmp_path: Path) -> Callable[[str, str], Server]:
    def start(example: str, database_url: str) -> Server:
        port = free_port()
        env = clean_env(
            DATABASE_URL=database_url,
            BETTER_AUTH_SECRET=SECRET,
            BETTER_AUTH_URL=f"http://127.0.0.1:{port}",
            BETTER_AUTH_TRUSTED_ORIGINS=ORIGIN,
        )
        app = f"examples.{example}.app.main:app"
        args = [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]
        return _start(servers, example, args, env, tmp_path, port, REPO_ROOT)

    return start


@pytest.mark.parametrize("example", ["todo", "rag_chat"])
def test_official_client_drives_the_example(
    example: str, database: str, node: str, node_modules: Path, start_example: Callable[[str, str], Server]
) -> None:
    server = start_example(example, python_database_url(database))
    flow = run_node_script(node, "example_flow.mjs", server.url, example, BETTER_AUTH_SECRET=SECRET)
    assert_flow(flow, server, STEPS[example])
