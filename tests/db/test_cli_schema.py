"""From ``create_schema()`` to the admin plugin and to migrations, on real SQLite and PostgreSQL (issue 17, item 3).

The reported path: tables made by ``create-schema`` (core only), then ``create-admin`` died with a 90-line trace
(``column user.role does not exist``) and ``migrate --plugin admin`` with ``DuplicateTableError``. Now each step
names what is missing and the command that adds it, ``check-schema`` lists it, ``stamp`` adopts the tables (and
refuses to hide a missing column), and ``create_schema()`` adds plugin columns in development only.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fastapi_betterauth import BetterAuth, migrations
from fastapi_betterauth.cli import main
from fastapi_betterauth.errors import ConfigurationError
from fastapi_betterauth.plugins import admin
from fastapi_betterauth.settings import AuthSettings
from tests._services import create_postgres_database, drop_postgres_database, free_port
from tests.db._inspect import postgres_snapshot, sqlite_snapshot

ADMIN_COLUMNS = ("user.role", "user.banned", "user.banReason", "user.banExpires", "session.impersonatedBy")


@dataclass
class Database:
    """One empty database: the URL a user passes to the command line, and a look inside."""

    kind: str
    url: str
    dsn_or_path: str

    def run(self, sql: str) -> list[tuple[Any, ...]]:
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.dsn_or_path)
            try:
                with conn:
                    return [tuple(r) for r in conn.execute(sql)]
            finally:
                conn.close()

        async def run() -> list[tuple[Any, ...]]:
            import asyncpg

            conn = await asyncpg.connect(self.dsn_or_path)
            try:
                return [tuple(r) for r in await conn.fetch(sql)]
            finally:
                await conn.close()

        return asyncio.run(run())

    def columns(self, table: str) -> list[str]:
        if self.kind == "sqlite":
            return [r[1] for r in self.run(f'PRAGMA table_info("{table}")')]
        rows = self.run(
            "SELECT column_name FROM information_schema.columns"
            f" WHERE table_schema = 'public' AND table_name = '{table}' ORDER BY ordinal_position"
        )
        return [r[0] for r in rows]

    def tables(self) -> set[str]:
        if self.kind == "sqlite":
            return {r[0] for r in self.run("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {r[0] for r in self.run("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}

    def snapshot(self) -> dict[str, Any]:
        if self.kind == "sqlite":
            return sqlite_snapshot(self.dsn_or_path)
        return asyncio.run(postgres_snapshot(self.dsn_or_path))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def make_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """``make_database()``: a fresh empty database of the parametrised kind (PostgreSQL as a plain ``postgresql://``)."""
    made: list[str] = []

    def make() -> Database:
        if request.param == "sqlite":
            path = tmp_path / f"db{len(made)}.db"
            made.append(str(path))
            return Database("sqlite", f"sqlite+aiosqlite:///{path}", str(path))
        dsn = asyncio.run(create_postgres_database())
        made.append(dsn)
        return Database("postgres", dsn, dsn)

    yield make
    if request.param == "postgres":
        for dsn in made:
            asyncio.run(drop_postgres_database(dsn))


@pytest.fixture
def database(make_database: Any) -> Database:
    db: Database = make_database()
    return db


@pytest.fixture(autouse=True)
def development(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line reads the environment: development, the admin's password, no debug traces."""
    monkeypatch.delenv("BETTER_AUTH_ENV", raising=False)
    monkeypatch.delenv("FASTAPI_BETTERAUTH_DEBUG", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("BETTER_AUTH_ADMIN_PASSWORD", "s3cret-pass-123")


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_the_reported_path_create_schema_then_the_admin_plugin(
    database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    url = ("--database-url", database.url)
    assert cli(capsys, "create-schema", *url)[0] == 0

    # create-admin: one paragraph naming the columns and the fix, no trace, nothing written.
    code, out, err = cli(capsys, "create-admin", *url, "--email", "root@example.com")
    assert code == 1 and out == ""
    assert err.startswith("error: the database lacks what create-admin needs:") and err.count("\n") == 1
    for column in ADMIN_COLUMNS:
        assert column in err
    assert f"`fastapi-betterauth stamp --database-url {database.url}`" in err
    assert f"`fastapi-betterauth migrate --plugin admin --database-url {database.url}`" in err
    assert f"`fastapi-betterauth create-schema --plugin admin --database-url {database.url}`" in err
    assert database.run('SELECT count(*) FROM "user"') == [(0,)]

    # check-schema: each missing column, and the commands.
    code, out, _ = cli(capsys, "check-schema", *url, "--plugin", "admin")
    assert code == 1
    for column in ADMIN_COLUMNS:
        assert f"missing: {column} (admin plugin)\n" in out
    assert f"fix: fastapi-betterauth stamp --database-url {database.url}\n" in out
    assert f"     fastapi-betterauth migrate --plugin admin --database-url {database.url}\n" in out
    assert f"in development: fastapi-betterauth create-schema --plugin admin --database-url {database.url}\n" in out
    code, out, _ = cli(capsys, "check-schema", *url)
    assert code == 0 and out.startswith("schema complete (core)\n")
    assert f"note: the tables exist but {migrations.VERSION_TABLE} does not record them" in out

    # Development: create-schema --plugin admin adds the columns; then create-admin works.
    code, out, _ = cli(capsys, "create-schema", *url, "--plugin", "admin")
    assert code == 0 and f"added columns: {', '.join(ADMIN_COLUMNS)}" in out
    assert database.columns("user")[-4:] == ["role", "banned", "banReason", "banExpires"]
    assert cli(capsys, "check-schema", *url, "--plugin", "admin")[0] == 0
    code, out, _ = cli(capsys, "create-admin", *url, "--email", "root@example.com")
    assert code == 0 and "created admin root@example.com" in out
    assert database.run("SELECT role FROM \"user\" WHERE email = 'root@example.com'") == [("admin",)]


def test_columns_added_later_are_those_the_migration_adds(
    make_database: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Same types, defaults, nullability (and on SQLite the same stored DDL) as ``migrate --plugin admin``."""
    added, migrated = make_database(), make_database()
    assert cli(capsys, "create-schema", "--database-url", added.url)[0] == 0
    assert cli(capsys, "create-schema", "--database-url", added.url, "--plugin", "admin")[0] == 0
    assert cli(capsys, "migrate", "--database-url", migrated.url, "--plugin", "admin")[0] == 0
    got, want = added.snapshot(), migrated.snapshot()
    want["tables"].remove(migrations.VERSION_TABLE)
    assert got == want


def test_production_create_schema_refuses_and_names_the_command(
    database: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli(capsys, "create-schema", "--database-url", database.url)[0] == 0
    secret = secrets.token_urlsafe(48)
    production = AuthSettings(environment="production", base_url="https://auth.example.com", secret=secret)
    auth = BetterAuth(production, database=database.url, plugins=[admin()])
    try:
        with pytest.raises(ConfigurationError) as refused:
            asyncio.run(auth.create_schema())
    finally:
        asyncio.run(auth.close())
    message = str(refused.value)
    for column in ADMIN_COLUMNS:
        assert column in message
    assert "`fastapi-betterauth stamp` then `fastapi-betterauth migrate --plugin admin`" in message
    assert "role" not in database.columns("user")

    monkeypatch.setenv("BETTER_AUTH_ENV", "production")
    code, _, err = cli(capsys, "create-schema", "--database-url", database.url, "--plugin", "admin")
    assert code == 1 and err.startswith("error: the database lacks columns") and "in production" in err
    assert "role" not in database.columns("user")

    # Outside production the same BetterAuth.create_schema() adds them.
    auth = BetterAuth(AuthSettings(environment="test"), database=database.url, plugins=[admin()])
    try:
        asyncio.run(auth.create_schema())
    finally:
        asyncio.run(auth.close())
    assert {"role", "banned", "banReason", "banExpires"} <= set(database.columns("user"))


def test_stamp_then_migrate_the_admin_plugin(database: Database, capsys: pytest.CaptureFixture[str]) -> None:
    url = ("--database-url", database.url)
    assert cli(capsys, "create-schema", *url)[0] == 0
    code, _, err = cli(capsys, "migrate", *url, "--plugin", "admin")  # was DuplicateTableError
    assert code == 1 and "DuplicateTable" in err and err.count("\n") == 1
    assert f"`fastapi-betterauth stamp --database-url {database.url}`" in err
    assert migrations.VERSION_TABLE not in database.tables()  # refused before running anything

    assert cli(capsys, "stamp", *url)[:2] == (0, "stamped better_auth@head\n")
    assert database.run(f"SELECT version_num FROM {migrations.VERSION_TABLE}") == [(migrations.CORE_REVISION,)]
    code, out, _ = cli(capsys, "migrate", *url, "--plugin", "admin")
    assert code == 0 and "migrated to better_auth_admin@head" in out
    assert "impersonatedBy" in database.columns("session")
    assert cli(capsys, "check-schema", *url, "--plugin", "admin")[:2] == (0, "schema complete (core, admin)\n")
    assert cli(capsys, "stamp", *url, "--plugin", "admin")[1].startswith("already recorded")
    assert cli(capsys, "create-admin", *url, "--email", "root@example.com")[0] == 0


def test_stamp_refuses_a_revision_whose_columns_are_missing(
    database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    url = ("--database-url", database.url)
    assert cli(capsys, "create-schema", *url)[0] == 0
    code, _, err = cli(capsys, "stamp", *url, "--plugin", "admin")
    assert code == 1 and err.startswith("error: refusing to stamp better_auth@head, better_auth_admin@head")
    assert all(column in err for column in ADMIN_COLUMNS)
    assert migrations.VERSION_TABLE not in database.tables()

    # One column short of the jwt plugin's table: stamping would hide it for good.
    assert cli(capsys, "create-schema", *url, "--plugin", "jwt")[0] == 0
    database.run('ALTER TABLE jwks DROP COLUMN "crv"')
    code, out, err = cli(capsys, "stamp", *url, "--plugin", "jwt")
    assert code == 1 and "jwks.crv" in err
    with pytest.raises(migrations.StampRefusedError, match=r"jwks\.crv"):
        migrations.stamp(database.url, "better_auth_jwt@head")
    assert migrations.VERSION_TABLE not in database.tables()
    code, out, _ = cli(capsys, "check-schema", *url, "--plugin", "jwt")
    assert code == 1 and "missing: jwks.crv (jwt plugin)" in out
    # The core tables are complete: stamping them alone goes through.
    assert cli(capsys, "stamp", *url)[0] == 0


def test_check_schema_on_an_empty_and_on_a_migrated_database(
    make_database: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    empty, migrated = make_database(), make_database()
    code, out, _ = cli(capsys, "check-schema", "--database-url", empty.url, "--plugin", "admin", "--plugin", "jwt")
    assert code == 1 and "missing: user (core)\n" in out and "missing: jwks (jwt plugin)\n" in out
    assert f"fix: fastapi-betterauth migrate --plugin jwt --plugin admin --database-url {empty.url}\n" in out

    assert cli(capsys, "migrate", "--database-url", migrated.url)[0] == 0
    code, out, _ = cli(capsys, "check-schema", "--database-url", migrated.url, "--plugin", "admin")
    assert code == 1
    assert f"fix: fastapi-betterauth migrate --plugin admin --database-url {migrated.url}\n" in out
    assert "stamp" not in out and "create-schema" not in out  # under migrations: nothing else


@pytest.mark.postgres
def test_printed_commands_never_show_the_password(capsys: pytest.CaptureFixture[str]) -> None:
    dsn = asyncio.run(create_postgres_database())
    try:
        url = dsn.replace("postgresql://postgres@", "postgresql://postgres:hunter2@")  # trust auth: any password
        assert url != dsn
        code, out, _ = cli(capsys, "check-schema", "--database-url", url, "--plugin", "admin")
    finally:
        asyncio.run(drop_postgres_database(dsn))
    assert code == 1 and "hunter2" not in out and "postgres:***@" in out


def test_unreachable_postgres_unknown_driver_and_missing_asyncpg(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    down = f"postgresql://postgres@127.0.0.1:{free_port()}/app"
    for command in (["check-schema"], ["migrate", "--plugin", "admin"], ["stamp"], ["create-schema"]):
        code, out, err = cli(capsys, *command, "--database-url", down)
        assert code == 1 and out == ""
        assert err.startswith("error: cannot connect to the database (connection refused)") and err.count("\n") == 1

    code, _, err = cli(capsys, "check-schema", "--database-url", "postgresql+nosuchdriver://u@localhost/app")
    assert code == 1 and err.startswith("error: unknown database driver") and err.count("\n") == 1

    monkeypatch.setitem(sys.modules, "asyncpg", None)  # as if the [postgres] extra were not installed
    code, _, err = cli(capsys, "create-admin", "--database-url", down, "--email", "a@example.com")
    assert code == 1
    assert err == (
        "error: the database URL needs the asyncpg driver, which is not installed: "
        'pip install "fastapi-betterauth-server[postgres]"\n'
    )


def test_traceback_on_request(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    down = f"postgresql://postgres@127.0.0.1:{free_port()}/app"
    with pytest.raises(ConnectionRefusedError):
        main(["--traceback", "check-schema", "--database-url", down])
    with pytest.raises(ConnectionRefusedError):
        main(["check-schema", "--database-url", down, "--traceback"])
    monkeypatch.setenv("FASTAPI_BETTERAUTH_DEBUG", "1")
    with pytest.raises(ConnectionRefusedError):
        main(["check-schema", "--database-url", down])


def run_script(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BETTER_AUTH_ENV", "FASTAPI_BETTERAUTH_DEBUG")}
    env["BETTER_AUTH_ADMIN_PASSWORD"] = "s3cret-pass-123"
    return subprocess.run(
        [sys.executable, "-m", "fastapi_betterauth.cli", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_no_trace_reaches_stderr_of_the_script(database: Database, tmp_path: Path) -> None:
    assert run_script("create-schema", "--database-url", database.url, cwd=tmp_path).returncode == 0
    result = run_script("create-admin", "--database-url", database.url, "--email", "root@example.com", cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: the database lacks what create-admin needs: user.role")

    down = f"postgresql://postgres@127.0.0.1:{free_port()}/app"
    result = run_script("migrate", "--plugin", "admin", "--database-url", down, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot connect to the database") and result.stderr.count("\n") == 1
