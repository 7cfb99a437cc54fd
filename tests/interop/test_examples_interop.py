"""The examples as a Next.js frontend sees them: the official client signs in, then calls the app's API.

example_flow.mjs uses the session cookie, the bearer token, the jwt plugin's JWT (from ``authClient.token()``)
and an HS256 JWT signed with ``BETTER_AUTH_SECRET`` against each example served by uvicorn, on SQLite and
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import SECRET, Server, assert_flow, python_database_url, run_node_script

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


@pytest.mark.parametrize("example", ["todo", "rag_chat"])
def test_official_client_drives_the_example(
    example: str, database: str, node: str, node_modules: Path, start_example: Callable[[str, str], Server]
) -> None:
    server = start_example(example, python_database_url(database))
    flow = run_node_script(node, "example_flow.mjs", server.url, example, BETTER_AUTH_SECRET=SECRET)
    assert_flow(flow, server, STEPS[example])
