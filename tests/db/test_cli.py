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
