"""What a database lacks for Better Auth's core and the configured plugins, and the commands that add it.

``create_schema()`` uses it to add the columns plugins need to tables that already exist (development) or to name
them and the migration to run (production). The ``fastapi-betterauth`` command line uses it for ``check-schema``,
``stamp``, ``migrate`` and ``create-admin``, so moving a database made by ``create_schema()`` to migrations, or
adding a plugin later, ends in a sentence naming the fix rather than ``column user.role does not exist``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from .db.schema import CORE_SCHEMA, RATE_LIMIT_TABLE, Schema, TableSpec, merge_schema
from .errors import ConfigurationError
from .migrations import BRANCH_LABEL, PLUGIN_BRANCHES, VERSION_TABLE, applied_branches, async_url

PLUGINS: tuple[str, ...] = tuple(PLUGIN_BRANCHES)
"""The plugin ids of ``--plugin`` (each has an Alembic branch)."""

CORE = "core"
"""The owner of the core tables, next to the plugin ids."""

COMMAND = "fastapi-betterauth"


def plugin_tables(plugin: str) -> tuple[TableSpec, ...]:
    """The tables and columns ``--plugin <plugin>`` stands for.

    Raises:
        ConfigurationError: an unknown plugin id.
    """
    if plugin == "jwt":
        from .plugins.jwt.schema import JWKS_TABLE

        return (JWKS_TABLE,)
    if plugin == "admin":
        from .plugins.admin.schema import ADMIN_SCHEMA

        return ADMIN_SCHEMA
    if plugin == "audit":
        from .audit import AUDIT_TABLE

        return (AUDIT_TABLE,)
    if plugin == "rate-limit":
        return (RATE_LIMIT_TABLE,)
    raise ConfigurationError(f"unknown plugin {plugin!r}: one of {', '.join(PLUGINS)}")


def required_schema(plugins: Iterable[str]) -> dict[str, TableSpec]:
    """The core tables with those of ``plugins`` merged in (what ``BetterAuth`` would use)."""
    return merge_schema(CORE_SCHEMA, *(plugin_tables(p) for p in plugins))


def columns_of(tables: Iterable[TableSpec]) -> dict[str, tuple[str, ...]]:
    """Table name -> column names."""
    out: dict[str, tuple[str, ...]] = {}
    for table in tables:
        out[table.name] = out.get(table.name, ()) + tuple(f.name for f in table.fields)
    return out


class Missing(NamedTuple):
    """A table (``column`` is ``None``) or a column of an existing table that the database lacks."""

    table: str
    column: str | None = None

    def __str__(self) -> str:
        return self.table if self.column is None else f"{self.table}.{self.column}"


@dataclass(frozen=True)
class LiveSchema:
    """The tables and columns a database has, and what its ``alembic_version_better_auth`` table records."""

    columns: Mapping[str, frozenset[str]]
    versions: frozenset[str] | None = None
    """Revisions in the version table; ``None`` when there is none (never migrated: ``create_schema()``, a
    TypeScript Better Auth server, or an empty database)."""

    @classmethod
    def read(cls, conn: sa.Connection) -> LiveSchema:
        """Inspect the database (SQLAlchemy's inspector: SQLite and PostgreSQL alike)."""
        inspector = sa.inspect(conn)
        columns = {
            name: frozenset(str(c["name"]) for c in cols) for (_, name), cols in inspector.get_multi_columns().items()
        }
        versions = None
        if VERSION_TABLE in columns:
            query = sa.text(f"SELECT version_num FROM {conn.dialect.identifier_preparer.quote(VERSION_TABLE)}")
            versions = frozenset(str(v) for v in conn.execute(query).scalars())
        return cls(columns, versions)

    def missing(self, expected: Mapping[str, Sequence[str]]) -> list[Missing]:
        """What ``expected`` (table -> columns) names and the database lacks: a whole table, or columns."""
        out: list[Missing] = []
        for table, names in expected.items():
            have = self.columns.get(table)
            if have is None:
                out.append(Missing(table))
            else:
                out.extend(Missing(table, name) for name in names if name not in have)
        return out

    def has_any(self, expected: Mapping[str, Sequence[str]]) -> bool:
        """Whether any of ``expected``'s columns exists."""
        return any(name in self.columns.get(table, ()) for table, names in expected.items() for name in names)


async def read_live(url: str) -> LiveSchema:
    """:meth:`LiveSchema.read` of the database at ``url`` (one short-lived connection)."""
    engine = create_async_engine(async_url(url), poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(LiveSchema.read)
    finally:
        await engine.dispose()


def _owner(item: Missing) -> str | None:
    """``"core"``, the plugin id the table or column belongs to, or ``None`` (an application's own plugin)."""
    for owner in (CORE, *PLUGINS):
        tables = CORE_SCHEMA.values() if owner == CORE else plugin_tables(owner)
        for table in tables:
            if table.name == item.table and (item.column is None or table.has(item.column)):
                return owner
    return None


def _uses(schema: Schema, plugin: str) -> bool:
    return all(t.name in schema and all(schema[t.name].has(f.name) for f in t.fields) for t in plugin_tables(plugin))


def owner_label(owner: str | None) -> str:
    """``core``, ``admin plugin``, or what an application's own column is."""
    if owner == CORE:
        return CORE
    return "no plugin this library knows" if owner is None else f"{owner} plugin"


@dataclass(frozen=True)
class Diagnosis:
    """The database against a schema: what is missing, and the commands that fix it."""

    missing: tuple[Missing, ...]
    owners: Mapping[Missing, str | None]
    in_use: tuple[str, ...]
    """Plugin ids the schema includes."""
    unrecorded: tuple[str, ...]
    """``"core"`` or plugin ids whose tables are complete but not recorded as migrated (``stamp`` records them)."""
    conflicts: tuple[str, ...]
    """``"core"`` or plugin ids not recorded as migrated whose tables or columns exist, in full or in part:
    ``migrate`` would fail on them (``DuplicateTable``)."""
    migrations: tuple[str, ...]
    """Commands for a database run by the library's migrations (production), in order."""
    development: tuple[str, ...]
    """The ``create-schema`` alternative; empty when the database is under migrations (it would break them)."""
    stamp: str = ""
    """The ``stamp`` command recording :attr:`unrecorded` (empty when there is nothing to record)."""
    notes: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        """Nothing is missing."""
        return not self.missing

    def describe_missing(self) -> str:
        """``user.role, user.banned (admin plugin)``: the missing items grouped by owner."""
        groups: dict[str | None, list[str]] = {}
        for item in self.missing:
            groups.setdefault(self.owners[item], []).append(str(item))
        return "; ".join(f"{', '.join(items)} ({owner_label(owner)})" for owner, items in groups.items())

    def fix(self) -> str:
        """The commands as one sentence."""
        parts: list[str] = []
        if self.migrations:
            parts.append("run " + " then ".join(f"`{c}`" for c in self.migrations))
        if self.development:
            alternative = " then ".join(f"`{c}`" for c in self.development)
            parts.append(f"in development, {alternative} adds them instead" if parts else f"run {alternative}")
        return "; ".join(parts + list(self.notes)) + (" (see docs/migrations.md)" if parts else "")


def command(name: str, plugins: Iterable[str] = (), url_option: str = "") -> str:
    """``fastapi-betterauth <name> --plugin …`` (``url_option``: e.g. `` --database-url …``)."""
    return f"{COMMAND} {name}" + "".join(f" --plugin {p}" for p in plugins) + url_option


def diagnose(live: LiveSchema, schema: Schema, *, url_option: str = "") -> Diagnosis:
    """Compare ``live`` with ``schema`` (core plus plugins) and work out the commands that close the gap.

    A database without a version table but with the core tables was made by ``create_schema()`` (or a TypeScript
    server): ``stamp`` records what exists, then ``migrate`` adds the rest. One with a version table only needs
    ``migrate``. Tables that exist in part can only be completed by ``create-schema`` (development) or by hand.
    """
    expected = columns_of(schema.values())
    missing = tuple(live.missing(expected))
    owners = {item: _owner(item) for item in missing}
    in_use = tuple(p for p in PLUGINS if _uses(schema, p))
    missing_by = {owner for owner in owners.values()}
    applied = applied_branches(live.versions or ())
    components = {CORE: columns_of(CORE_SCHEMA.values())} | {p: columns_of(plugin_tables(p)) for p in in_use}
    branch = {CORE: BRANCH_LABEL} | PLUGIN_BRANCHES
    present = {c for c, cols in components.items() if live.has_any(cols)}
    conflicts = tuple(c for c in components if c in present and branch[c] not in applied)
    unrecorded = tuple(c for c in conflicts if c not in missing_by)
    partial = [c for c in conflicts if c in missing_by]
    missing_plugins = [p for p in in_use if p in missing_by]
    notes: list[str] = []
    unknown = [str(item) for item, owner in owners.items() if owner is None]
    if unknown:
        notes.append(f"add {', '.join(unknown)} with a migration of your own")
    stamp = command("stamp", [c for c in unrecorded if c != CORE], url_option)
    migrations: tuple[str, ...] = ()
    development: tuple[str, ...] = ()
    if missing:
        if live.versions is None:
            development = (command("create-schema", in_use, url_option),)
        if partial:
            notes.append(
                f"migrations cannot complete tables that exist in part ({', '.join(owner_label(c) for c in partial)}):"
                " add the missing columns by hand, then `stamp`"
            )
        elif CORE not in present:
            migrations = (command("migrate", in_use, url_option),)
        else:
            migrations = ((stamp,) if unrecorded else ()) + (command("migrate", missing_plugins, url_option),)
    elif unrecorded:
        notes.append(
            f"the tables exist but {VERSION_TABLE} does not record them (made by create_schema()?):"
            f" run `{stamp}` before the first `migrate`"
        )
    return Diagnosis(
        missing,
        owners,
        in_use,
        unrecorded,
        conflicts,
        migrations,
        development,
        stamp if unrecorded else "",
        tuple(notes),
    )


def complete_columns(conn: sa.Connection, schema: Schema, metadata: sa.MetaData, *, add: bool) -> list[Missing]:
    """Add the columns ``schema`` has and existing tables lack, as ``metadata`` declares them; the columns added.

    ``ALTER TABLE … ADD COLUMN`` (through Alembic's operations, SQLite and PostgreSQL) with the type, default and
    nullability of the table definition, plus the indexes on them. Run after ``create_all``, which makes missing tables
    but never touches existing ones.

    Raises:
        ConfigurationError: columns are missing and ``add`` is false (production), or one cannot be added to a
            table that has rows (``NOT NULL`` without a default, unique, or a foreign key); the message names the
            columns and the command that adds them.
    """
    live = LiveSchema.read(conn)
    missing = [m for m in live.missing(columns_of(schema.values())) if m.column is not None]
    if not missing:
        return []
    blocked = [m for m in missing if not _addable(schema, metadata, m)]
    if not add or blocked:
        diagnosis = diagnose(live, schema)
        if blocked:
            reason = (
                f"create_schema() cannot add {', '.join(map(str, blocked))} to a table that exists"
                " (NOT NULL without a default, unique, or a foreign key)"
            )
        else:
            reason = "create_schema() creates missing tables but alters no existing table in production"
        raise ConfigurationError(
            f"the database lacks columns the configured plugins need: {diagnosis.describe_missing()}. {reason}."
            f" Fix: {diagnosis.fix()}"
        )
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    operations = Operations(MigrationContext.configure(conn))
    for item in missing:
        assert item.column is not None
        column = metadata.tables[item.table].c[item.column]
        server_default = column.server_default  # a copy: a DefaultClause belongs to one column
        default = sa.DefaultClause(server_default.arg) if isinstance(server_default, sa.DefaultClause) else None
        operations.add_column(
            item.table, sa.Column(item.column, column.type, nullable=column.nullable, server_default=default)
        )
    added = {(m.table, m.column) for m in missing}
    for table in metadata.tables.values():
        for index in table.indexes:
            if any((table.name, c.name) in added for c in index.columns):
                index.create(conn, checkfirst=True)
    return missing


def _addable(schema: Schema, metadata: sa.MetaData, item: Missing) -> bool:
    assert item.column is not None
    spec = schema[item.table].field(item.column)
    column = metadata.tables[item.table].c[item.column]
    return (column.nullable or column.server_default is not None) and not spec.unique and spec.references is None
