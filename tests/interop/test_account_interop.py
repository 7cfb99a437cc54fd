"""The official Better Auth JS client through the account-lifecycle flows, reading links from the mail log.

account_flow.mjs drives ``createAuthClient``: verification, password reset (and its replay),
change-password with ``revokeOtherSessions``, change-email and delete-user. It runs against the Python
server on SQLite and PostgreSQL, and once against the real Better Auth server as a harness self-check.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Server, assert_flow, python_database_url, run_node_script

pytestmark = pytest.mark.interop

STEPS = [
    "sign-up",
    "send-verification-email",
    "verify-email",
    "second device signs in",
    "request-password-reset",
    "reset-password",
    "sign-in with the reset password",
    "change-password with a wrong current password",
    "change-password revoking other sessions",
    "change-email",
    "verify the new email",
    "delete-user with the password",
]
PY_SETTINGS = {"user": {"change_email": {"enabled": True}, "delete_user": {"enabled": True}}}
TS_OPTIONS = {"user": {"changeEmail": {"enabled": True}, "deleteUser": {"enabled": True}}}


def test_harness_against_real_better_auth(
    node: str, node_modules: Path, start_ts_server: Callable[..., Server], database: str, tmp_path: Path
) -> None:
    """The flow's expectations hold against Better Auth itself."""
    mail_log = tmp_path / "ts-mail.jsonl"
    server = start_ts_server(database, migrate=True, options=TS_OPTIONS, mail_log=mail_log)
    flow = run_node_script(node, "account_flow.mjs", server.url, MAIL_LOG=str(mail_log))
    assert_flow(flow, server, STEPS)


def test_official_client_account_flows_against_python(
    database: str, node: str, node_modules: Path, start_py_server: Callable[..., Server], tmp_path: Path
) -> None:
    mail_log = tmp_path / "py-mail.jsonl"
    server = start_py_server(python_database_url(database), settings=PY_SETTINGS, mail_log=mail_log)
    flow = run_node_script(node, "account_flow.mjs", server.url, MAIL_LOG=str(mail_log))
    assert_flow(flow, server, STEPS)
