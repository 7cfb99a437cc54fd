"""The ``fastapi-betterauth`` command line against real SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from fastapi_betterauth.cli import main


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}


def test_migrate_core_then_the_jwt_plugin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "app.db"
    url = f"sqlite+aiosqlite:///{database}"
    assert main(["migrate", "--database-url", url]) == 0
    assert {"user", "session", "account", "verification"} <= tables(database)
    assert "jwks" not in tables(database)
    assert main(["migrate", "--database-url", url, "--plugin", "jwt"]) == 0
    assert "jwks" in tables(database)
    assert "better_auth_jwt@head" in capsys.readouterr().out


def test_create_schema_and_missing_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "dev.db"
    assert main(["create-schema", "--database-url", f"sqlite+aiosqlite:///{database}"]) == 0
    assert "user" in tables(database)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(SystemExit):
        main(["migrate"])


def test_create_admin_creates_then_promotes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "admin.db"
    url = f"sqlite+aiosqlite:///{database}"
    monkeypatch.delenv("BETTER_AUTH_ADMIN_PASSWORD", raising=False)
    assert main(["migrate", "--database-url", url, "--plugin", "admin"]) == 0
    with pytest.raises(SystemExit, match="BETTER_AUTH_ADMIN_PASSWORD"):  # not a terminal: no prompt possible
        main(["create-admin", "--database-url", url, "--email", "root@example.com"])
    monkeypatch.setenv("BETTER_AUTH_ADMIN_PASSWORD", "s3cret-pass")
    assert main(["create-admin", "--database-url", url, "--email", "Root@Example.com"]) == 0
    assert "created admin root@example.com" in capsys.readouterr().out
    with sqlite3.connect(database) as conn:
        role, user_id = conn.execute("select role, id from user where email = 'root@example.com'").fetchone()
        (hash_,) = conn.execute("select password from account where userId = ?", (user_id,)).fetchone()
    assert role == "admin" and ":" in hash_  # a Better Auth scrypt hash "salt:key"
    with sqlite3.connect(database) as conn:
        conn.execute("update user set role = 'user,editor'")
    assert main(["create-admin", "--database-url", url, "--email", "root@example.com"]) == 0
    with sqlite3.connect(database) as conn:
        assert conn.execute("select role from user").fetchone()[0] == "user,editor,admin"
    monkeypatch.setenv("BETTER_AUTH_ADMIN_PASSWORD", "x")
    with pytest.raises(SystemExit, match="characters"):
        main(["create-admin", "--database-url", url, "--email", "short@example.com"])


def test_passwords_are_never_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Review finding 8: ``--password`` put the admin's password in shell history and the process list."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'admin.db'}"
    with pytest.raises(SystemExit) as refused:
        main(["create-admin", "--database-url", url, "--email", "a@example.com", "--password", "s3cret-pass"])
    assert refused.value.code == 2  # argparse: unrecognized argument
    assert "--password" not in capsys.readouterr().out


def test_create_admin_prompts_in_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "admin.db"
    url = f"sqlite+aiosqlite:///{database}"
    assert main(["migrate", "--database-url", url, "--plugin", "admin"]) == 0
    monkeypatch.delenv("BETTER_AUTH_ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter(["typed-pass-123", "other-pass-456"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(SystemExit, match="differ"):
        main(["create-admin", "--database-url", url, "--email", "p@example.com"])
    answers = iter(["typed-pass-123", "typed-pass-123"])
    assert main(["create-admin", "--database-url", url, "--email", "p@example.com"]) == 0
    with sqlite3.connect(database) as conn:
        assert conn.execute("select role from user where email = 'p@example.com'").fetchone()[0] == "admin"
