"""The packaged Alembic migrations build exactly the schema ``create_schema()`` builds.

Alembic's command API is synchronous and ``env.py`` runs its own event loop, so the async tests call
it in a worker thread, as docs/migrations.md tells applications to.
"""

from __future__ import annotations

import logging
import sqlite3
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from fastapi_betterauth import migrations
from fastapi_betterauth.db.adapter import Where
from fastapi_betterauth.db.sqlalchemy import SQLAlchemyAdapter
from fastapi_betterauth.errors import ConfigurationError
from tests._services import asyncpg_url
from tests.db._inspect import CORE_TABLES, postgres_snapshot, sqlite_snapshot
from tests.db.contract import session, user

pytestmark = pytest.mark.anyio


@dataclass
class Database:
    """One empty database, addressed the ways the tests need."""

    url: str
    """What a user passes to ``upgrade()`` (plain ``postgresql://`` for PostgreSQL)."""
    adapter_url: str
    snapshot: Callable[[], Awaitable[dict[str, Any]]]
    version_query: Callable[[str], Awaitable[list[str]]]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def make_database(
    request: pytest.FixtureRequest, tmp_path: Path, make_postgres_database: Callable[[], Awaitable[str]]
) -> AsyncIterator[Callable[[], Awaitable[Database]]]:
    """``await make_database()``: a fresh empty database of the parametrised kind."""
    counter = iter(range(100))

    async def make() -> Database:
        if request.param == "sqlite":
            path = tmp_path / f"db{next(counter)}.db"
            url = f"sqlite+aiosqlite:///{path}"

            async def sqlite_snap() -> dict[str, Any]:
                return sqlite_snapshot(path)

            async def sqlite_versions(table: str) -> list[str]:
                conn = sqlite3.connect(path)
                try:
                    return [r[0] for r in conn.execute(f"SELECT version_num FROM {table}")]
                finally:
                    conn.close()

            return Database(url, url, sqlite_snap, sqlite_versions)

        dsn = await make_postgres_database()

        async def postgres_snap() -> dict[str, Any]:
            return await postgres_snapshot(dsn)

        async def postgres_versions(table: str) -> list[str]:
            import asyncpg

            conn = await asyncpg.connect(dsn)
            try:
                return [r[0] for r in await conn.fetch(f"SELECT version_num FROM {table}")]
            finally:
                await conn.close()

        return Database(dsn, asyncpg_url(dsn), postgres_snap, postgres_versions)

    yield make


async def _create_schema(url: str, statements: list[str] | None = None, schema: Any = None) -> None:
    adapter = SQLAlchemyAdapter(url, schema)
    if statements is not None:

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        sa.event.listen(adapter.engine.sync_engine, "before_cursor_execute", record)
    try:
        await adapter.create_schema()
    finally:
        await adapter.close()


def _without_version_table(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {**snapshot, "tables": [t for t in snapshot["tables"] if t != migrations.VERSION_TABLE]}


async def test_upgrade_builds_the_schema_create_schema_builds(make_database: Callable[[], Awaitable[Database]]) -> None:
    migrated, created = await make_database(), await make_database()
    await anyio.to_thread.run_sync(migrations.upgrade, migrated.url)
    await _create_schema(created.adapter_url)
    after_migration = await migrated.snapshot()
    assert migrations.VERSION_TABLE in after_migration["tables"]
    # Columns, types, nullability, defaults, constraints, indexes (and on SQLite the stored DDL text).
    assert _without_version_table(after_migration) == await created.snapshot()
    assert await migrated.version_query(migrations.VERSION_TABLE) == [migrations.CORE_REVISION]


async def test_jwt_branch_builds_the_jwks_table_the_plugin_needs(
    make_database: Callable[[], Awaitable[Database]],
) -> None:
    from fastapi_betterauth.db.schema import CORE_SCHEMA, merge_schema
    from fastapi_betterauth.plugins.jwt.schema import JWKS_TABLE

    migrated, created = await make_database(), await make_database()
    await anyio.to_thread.run_sync(migrations.upgrade, migrated.url)
    await anyio.to_thread.run_sync(migrations.upgrade, migrated.url, "better_auth_jwt@head")
    await _create_schema(created.adapter_url, schema=merge_schema(CORE_SCHEMA, (JWKS_TABLE,)))
    after = await migrated.snapshot()
    assert "jwks" in after["tables"]
    assert _without_version_table(after) == await created.snapshot()
    # The core-only upgrade does not create it.
    core_only = await make_database()
    await anyio.to_thread.run_sync(migrations.upgrade, core_only.url)
    assert "jwks" not in (await core_only.snapshot())["tables"]


async def test_admin_branch_adds_the_columns_the_plugin_needs(
    make_database: Callable[[], Awaitable[Database]],
) -> None:
    from fastapi_betterauth.db.schema import CORE_SCHEMA, merge_schema
    from fastapi_betterauth.plugins.admin.schema import ADMIN_SCHEMA

    migrated, created = await make_database(), await make_database()
    await anyio.to_thread.run_sync(migrations.upgrade, migrated.url)
    await anyio.to_thread.run_sync(migrations.upgrade, migrated.url, "better_auth_admin@head")
    await _create_schema(created.adapter_url, schema=merge_schema(CORE_SCHEMA, ADMIN_SCHEMA))

    def structure(snapshot: dict[str, Any]) -> dict[str, Any]:
        # SQLite keeps the DDL text as written, and ALTER TABLE ADD COLUMN writes it differently from one
        # CREATE TABLE: compare the columns, types, constraints and indexes, not that text.
        return {
            k: {a: b for a, b in v.items() if a != "sql"} if isinstance(v, dict) else v for k, v in snapshot.items()
        }

    assert structure(_without_version_table(await migrated.snapshot())) == structure(await created.snapshot())
    await anyio.to_thread.run_sync(migrations.downgrade, migrated.url, "better_auth_admin@base")
    columns = repr({k: v for k, v in (await migrated.snapshot()).items() if k != "sql"})
    assert "'email'" in columns
    assert not any(f"'{name}'" in columns for name in ("role", "banned", "banReason", "banExpires", "impersonatedBy"))


async def test_audit_branch_builds_the_auth_event_table(make_database: Callable[[], Awaitable[Database]]) -> None:
    from fastapi_betterauth.audit import AUDIT_TABLE
    from fastapi_betterauth.db.schema import CORE_SCHEMA, merge_schema

    migrated, created = await make_database(), await make_database()
    await anyio.to_thread.run_sync(migrations.upgrade, migrated.url)
    await anyio.to_thread.run_sync(migrations.upgrade, migrated.url, "better_auth_audit@head")
    await _create_schema(created.adapter_url, schema=merge_schema(CORE_SCHEMA, (AUDIT_TABLE,)))
    after = await migrated.snapshot()
    assert "auth_event" in after["tables"]
    assert _without_version_table(after) == await created.snapshot()


async def test_rate_limit_branch_builds_better_auths_rate_limit_table(
    make_database: Callable[[], Awaitable[Database]],
) -> None:
    from fastapi_betterauth.db.schema import CORE_SCHEMA, RATE_LIMIT_TABLE, merge_schema

    migrated, created = await make_database(), await make_database()
    await anyio.to_thread.run_sync(migrations.upgrade, migrated.url)
    await anyio.to_thread.run_sync(migrations.upgrade, migrated.url, "better_auth_rate_limit@head")
    await _create_schema(created.adapter_url, schema=merge_schema(CORE_SCHEMA, (RATE_LIMIT_TABLE,)))
    after = await migrated.snapshot()
    assert "rateLimit" in after["tables"]
    assert _without_version_table(after) == await created.snapshot()


async def test_create_schema_after_the_migration_is_a_no_op(make_database: Callable[[], Awaitable[Database]]) -> None:
    db = await make_database()
    await anyio.to_thread.run_sync(migrations.upgrade, db.url)
    before = await db.snapshot()
    statements: list[str] = []
    await _create_schema(db.adapter_url, statements)
    assert not [s for s in statements if s.lstrip().upper().startswith(("CREATE", "ALTER", "DROP"))]
    assert await db.snapshot() == before
    adapter = SQLAlchemyAdapter(db.adapter_url)
    try:
        await adapter.create("user", user("u1"))
        await adapter.create("session", session("s1", "u1"))
        assert await adapter.delete("user", [Where("id", "u1")]) == 1
        assert await adapter.count("session") == 0
    finally:
        await adapter.close()


async def test_upgrade_twice_is_a_no_op(make_database: Callable[[], Awaitable[Database]]) -> None:
    db = await make_database()
    await anyio.to_thread.run_sync(migrations.upgrade, db.url)
    before = await db.snapshot()
    await anyio.to_thread.run_sync(migrations.upgrade, db.url, "better_auth@head")
    assert await db.snapshot() == before


async def test_downgrade_removes_the_tables(make_database: Callable[[], Awaitable[Database]]) -> None:
    db = await make_database()
    await anyio.to_thread.run_sync(migrations.upgrade, db.url)
    await anyio.to_thread.run_sync(migrations.downgrade, db.url)
    snapshot = await db.snapshot()
    assert not set(CORE_TABLES) & set(snapshot["tables"])
    assert await db.version_query(migrations.VERSION_TABLE) == []
    # And back up again.
    await anyio.to_thread.run_sync(migrations.upgrade, db.url, "better_auth@head")
    assert set(CORE_TABLES) <= set((await db.snapshot())["tables"])


async def test_stamp_adopts_an_existing_database(make_database: Callable[[], Awaitable[Database]]) -> None:
    db = await make_database()
    await _create_schema(db.adapter_url)  # e.g. tables made by a TypeScript Better Auth server
    with pytest.raises(Exception, match=r"(?i)already exists"):
        await anyio.to_thread.run_sync(migrations.upgrade, db.url)
    await anyio.to_thread.run_sync(migrations.stamp, db.url)
    assert await db.version_query(migrations.VERSION_TABLE) == [migrations.CORE_REVISION]
    await anyio.to_thread.run_sync(migrations.upgrade, db.url)  # nothing left to do


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """The packaged alembic.ini configures logging (for the command line); undo that after the test."""
    loggers = [logging.getLogger(), logging.getLogger("alembic")]
    saved = [(lg, lg.level, list(lg.handlers), lg.propagate) for lg in loggers]
    yield
    for lg, level, handlers, propagate in saved:
        lg.setLevel(level)
        lg.handlers[:] = handlers
        lg.propagate = propagate


@pytest.mark.usefixtures("restore_logging")
async def test_url_from_environment_and_ini(
    make_database: Callable[[], Awaitable[Database]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from_env, from_ini = await make_database(), await make_database()
    # `alembic -c ALEMBIC_INI upgrade head` with DATABASE_URL set.
    monkeypatch.setenv("DATABASE_URL", from_env.url)
    await anyio.to_thread.run_sync(command.upgrade, Config(migrations.ALEMBIC_INI), "better_auth@head")
    assert await from_env.version_query(migrations.VERSION_TABLE) == [migrations.CORE_REVISION]
    # -x url=... wins over DATABASE_URL.
    explicit = migrations.alembic_config(from_ini.url)
    await anyio.to_thread.run_sync(command.downgrade, explicit, "base")
    assert await from_ini.version_query(migrations.VERSION_TABLE) == []
    assert await from_env.version_query(migrations.VERSION_TABLE) == [migrations.CORE_REVISION]
    # Without either, the ini's sqlalchemy.url.
    monkeypatch.delenv("DATABASE_URL")
    config = Config(migrations.ALEMBIC_INI)
    config.set_main_option("sqlalchemy.url", from_ini.url.replace("%", "%%"))
    await anyio.to_thread.run_sync(command.upgrade, config, "better_auth@head")
    assert await from_ini.version_query(migrations.VERSION_TABLE) == [migrations.CORE_REVISION]


@pytest.mark.usefixtures("restore_logging")
def test_no_url_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        command.upgrade(Config(migrations.ALEMBIC_INI), "better_auth@head")


def test_sqlite_needs_the_async_driver(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="aiosqlite"):
        migrations.upgrade(f"sqlite:///{tmp_path}/x.db")
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgres://u:p%40ss@h:5432/db", "postgresql+asyncpg://u:p%40ss@h:5432/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite+aiosqlite:///./app.db", "sqlite+aiosqlite:///./app.db"),
    ],
)
def test_async_url(url: str, expected: str) -> None:
    assert migrations.async_url(url) == expected


def test_offline_sql(capsys: pytest.CaptureFixture[str]) -> None:
    migrations.upgrade("postgresql://app@localhost/app", sql=True)
    out = capsys.readouterr().out
    assert 'CREATE TABLE "user"' in out
    assert "TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL" in out
    assert 'CONSTRAINT "session_userId_fkey" FOREIGN KEY("userId") REFERENCES "user" (id) ON DELETE CASCADE' in out
    assert "INSERT INTO alembic_version_better_auth (version_num) VALUES ('ba1724c0e001')" in out


def test_the_revision_is_frozen() -> None:
    # The migration must not follow later changes of the library's schema.
    source = next(Path(migrations.SCRIPT_LOCATION, "versions").glob("*_better_auth_core.py")).read_text()
    assert "fastapi_betterauth" not in source
    assert "build_metadata" not in source
    assert 'branch_labels: str | Sequence[str] | None = ("better_auth",)' in source


def test_include_object_hides_better_auth_tables() -> None:
    metadata = sa.MetaData()
    todo = sa.Table("todo", metadata, sa.Column("id", sa.Text, primary_key=True), sa.Index("todo_id_idx", "id"))
    ours = sa.Table("session", metadata, sa.Column("id", sa.Text, primary_key=True), sa.Index("s_idx", "id"))
    assert migrations.include_object(todo, "todo", "table", False, None)
    assert migrations.include_object(todo.c.id, "id", "column", False, None)
    assert not migrations.include_object(ours, "session", "table", True, None)
    assert not migrations.include_object(ours.c.id, "id", "column", True, None)
    assert not migrations.include_object(next(iter(ours.indexes)), "s_idx", "index", True, None)
    assert not migrations.include_object(None, migrations.VERSION_TABLE, "table", True, None)


USER_ENV = """
from alembic import context
from sqlalchemy import create_engine
import sqlalchemy as sa

from fastapi_betterauth.migrations import include_object

# An application's models, with a naming convention that must not rename Better Auth's constraints.
metadata = sa.MetaData(naming_convention={
    "pk": "pk_%(table_name)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s", "ix": "ix_%(column_0_label)s",
})
sa.Table("todo", metadata, sa.Column("id", sa.Text, primary_key=True), sa.Column("userId", sa.Text, nullable=False))

engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
"""

USER_REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "app0001"
down_revision = None
branch_labels = None
depends_on = "ba1724c0e001"  # fastapi_betterauth.migrations.CORE_REVISION: "user" must exist first


def upgrade():
    op.create_table(
        "todo",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_todo"),
    )


def downgrade():
    op.drop_table("todo")
"""


async def test_mixed_into_an_applications_own_history(tmp_path: Path) -> None:
    project = tmp_path / "app"
    (project / "alembic" / "versions").mkdir(parents=True)
    (project / "alembic" / "env.py").write_text(textwrap.dedent(USER_ENV))
    (project / "alembic" / "versions" / "app0001_todo.py").write_text(textwrap.dedent(USER_REVISION))
    database = tmp_path / "app.db"
    (project / "alembic.ini").write_text(
        textwrap.dedent(
            f"""
            [alembic]
            script_location = %(here)s/alembic
            path_separator = space
            version_locations = %(here)s/alembic/versions {migrations.VERSION_LOCATION}
            sqlalchemy.url = sqlite:///{database}
            """
        )
    )
    config = Config(str(project / "alembic.ini"))
    await anyio.to_thread.run_sync(command.upgrade, config, "heads")

    # The application's head depends on the core revision, so Alembic records that head only.
    current = await anyio.to_thread.run_sync(_applied, config)
    assert current == {"app0001", migrations.CORE_REVISION}
    assert "todo" in sqlite_snapshot(database)["tables"]

    # Better Auth's tables came out exactly as create_schema() makes them, the naming convention
    # notwithstanding.
    reference = tmp_path / "reference.db"
    await _create_schema(f"sqlite+aiosqlite:///{reference}")
    migrated = sqlite_snapshot(database)
    expected = sqlite_snapshot(reference)
    for table in CORE_TABLES:
        assert migrated[table] == expected[table], table

    # Autogenerate ignores Better Auth's tables (absent from the application's metadata).
    await anyio.to_thread.run_sync(command.check, config)

    # The branch can be addressed on its own; the application's revision depends on it and goes first.
    await anyio.to_thread.run_sync(command.downgrade, config, "better_auth@base")
    tables = set(sqlite_snapshot(database)["tables"])
    assert not (set(CORE_TABLES) | {"todo"}) & tables
    assert await anyio.to_thread.run_sync(_applied, config) == set()


def _applied(config: Config) -> set[str]:
    """Every revision applied to the database (heads and everything below them)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(config)
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as conn:
            heads = MigrationContext.configure(conn).get_current_heads()
    finally:
        engine.dispose()
    return {rev.revision for rev in script.iterate_revisions(heads, "base")}
