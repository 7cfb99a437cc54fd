"""SQLAlchemy async adapter (Core, not ORM) for SQLite (aiosqlite) and PostgreSQL (asyncpg).

Tables are generated from the schema data with Better Auth's exact names and per-dialect column
types (protocol §10): ``text``/``boolean``/``timestamptz`` on PostgreSQL; ``text``/``integer``/
``date`` (ISO-8601 text as JS ``toISOString`` writes it) on SQLite. A database created here is
accepted by a TypeScript Better Auth server, and the other way round.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator, UserDefinedType

from .._dates import parse_iso, to_iso
from ..errors import ConfigurationError
from .adapter import Adapter, Row, SortBy, UniqueViolationError, Where
from .schema import CORE_SCHEMA, FieldSpec, Schema


class SQLiteISODate(UserDefinedType[datetime]):
    """SQLite column declared ``date`` holding ``toISOString()`` text, exactly as Better Auth stores it."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        """The declared SQLite type, as Better Auth's migration generator writes it."""
        return "date"

    def bind_processor(self, dialect: Dialect) -> Any:
        """Write datetimes as ``toISOString()`` text."""

        def process(value: Any) -> Any:
            if isinstance(value, datetime):
                return to_iso(value)
            return value

        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        """Read ISO text (or epoch milliseconds) back as aware datetimes."""

        def process(value: Any) -> Any:
            if isinstance(value, str):
                return parse_iso(value)
            if isinstance(value, int | float):  # epoch milliseconds (some JS adapters)
                return datetime.fromtimestamp(value / 1000, UTC)
            return value

        return process


class SQLiteBoolean(TypeDecorator[bool]):
    """SQLite ``integer`` 0/1 read back as ``bool`` (Better Auth's SQLite boolean)."""

    impl = sa.Integer
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        """``bool`` to 0/1."""
        return None if value is None else int(bool(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        """0/1 to ``bool``."""
        return None if value is None else bool(value)


def _column_type(spec: FieldSpec, dialect: str) -> Any:
    sqlite = dialect == "sqlite"
    if spec.type == "string":
        return sa.Text()
    if spec.type == "boolean":
        return SQLiteBoolean() if sqlite else sa.Boolean()
    if spec.type == "date":
        return SQLiteISODate() if sqlite else postgresql.TIMESTAMP(timezone=True)
    if spec.type == "number":
        return sa.BigInteger() if not sqlite else sa.Integer()
    if spec.type == "json":
        return sa.Text() if sqlite else postgresql.JSONB()
    raise ConfigurationError(f"unsupported field type {spec.type!r}")


def build_metadata(schema: Schema, dialect: str) -> sa.MetaData:
    """SQLAlchemy tables for ``schema`` with Better Auth's DDL for ``dialect``."""
    metadata = sa.MetaData()
    for table in schema.values():
        columns: list[Any] = []
        for spec in table.fields:
            args: list[Any] = []
            if spec.references:
                ref_model, ref_field = spec.references
                args.append(sa.ForeignKey(f"{ref_model}.{ref_field}", ondelete="CASCADE"))
            kwargs: dict[str, Any] = {
                "primary_key": spec.name == "id",
                "nullable": not spec.required,
                "unique": spec.unique or None,
            }
            if spec.db_default_now and dialect != "sqlite":
                kwargs["server_default"] = sa.text("CURRENT_TIMESTAMP")
            columns.append(sa.Column(spec.name, _column_type(spec, dialect), *args, **kwargs))
        sa_table = sa.Table(table.name, metadata, *columns)
        for spec in table.fields:
            if spec.index:
                sa.Index(f"{table.name}_{spec.name}_idx", sa_table.c[spec.name])
    return metadata


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SQLAlchemyAdapter:
    """The production adapter: an ``AsyncEngine`` over SQLite or PostgreSQL.

    SQLite allows one writer at a time; writes are serialised in-process (and WAL mode keeps reads
    concurrent), so concurrent sign-ups never fail with "database is locked".
    """

    def __init__(self, engine: AsyncEngine | str, schema: Schema | None = None) -> None:
        if isinstance(engine, str):
            engine = create_engine(engine)
        self.engine = engine
        self.dialect = engine.dialect.name
        if self.dialect not in ("sqlite", "postgresql"):
            raise ConfigurationError(f"unsupported database dialect {self.dialect!r}")
        self._sqlite = self.dialect == "sqlite"
        self._write_lock = asyncio.Lock() if self._sqlite else None
        self.use_schema(schema or CORE_SCHEMA)

    def use_schema(self, schema: Schema) -> None:
        """Adopt a merged schema (called by ``BetterAuth`` once plugins are known)."""
        self.schema = dict(schema)
        self.metadata = build_metadata(self.schema, self.dialect)

    def _t(self, model: str) -> sa.Table:
        try:
            return self.metadata.tables[model]
        except KeyError:
            raise ConfigurationError(f"unknown model {model!r}") from None

    # -- SQL building -------------------------------------------------------------------------

    def _condition(self, table: sa.Table, where: Where) -> Any:
        column: Any = table.c[where.field]
        value = where.value
        insensitive = where.mode == "insensitive"
        if insensitive:
            column = sa.func.lower(column)
            if isinstance(value, str):
                value = value.lower()
            elif isinstance(value, list | tuple):
                value = [v.lower() if isinstance(v, str) else v for v in value]
        op = where.operator
        if op == "eq":
            return column.is_(None) if value is None else column == value
        if op == "ne":
            return column.is_not(None) if value is None else sa.or_(column != value, column.is_(None))
        if op == "in":
            return column.in_(list(value or ()))
        if op == "not_in":
            return sa.or_(column.not_in(list(value or ())), column.is_(None))
        if op in ("contains", "starts_with", "ends_with"):
            text = str(value)
            if self._sqlite:
                # SQLite's LIKE ignores ASCII case; use exact substring functions instead.
                if text == "":
                    return column.is_not(None)
                if op == "contains":
                    return sa.func.instr(column, text) > 0
                if op == "starts_with":
                    return sa.func.substr(column, 1, len(text)) == text
                return sa.func.substr(column, -len(text)) == text
            pattern = _like_escape(text)
            pattern = {"contains": f"%{pattern}%", "starts_with": f"{pattern}%", "ends_with": f"%{pattern}"}[op]
            return column.like(pattern, escape="\\")
        comparisons = {
            "lt": column < value,
            "lte": column <= value,
            "gt": column > value,
            "gte": column >= value,
        }
        if op in comparisons:
            return comparisons[op]
        raise ValueError(f"unknown operator {op!r}")

    def _clause(self, table: sa.Table, where: Sequence[Where]) -> Any:
        ands = [self._condition(table, w) for w in where if w.connector == "AND"]
        ors = [self._condition(table, w) for w in where if w.connector == "OR"]
        parts = list(ands)
        if ors:
            parts.append(sa.or_(*ors))
        return sa.and_(sa.true(), *parts)

    def _values(self, table: sa.Table, data: Row) -> Row:
        return {k: v for k, v in data.items() if k in table.c}

    # -- connections --------------------------------------------------------------------------

    def _write(self) -> AbstractAsyncContextManager[Any]:
        return self._write_lock if self._write_lock is not None else nullcontext()

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncConnection]:
        async with self._write(), self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    # -- primitives ---------------------------------------------------------------------------

    async def create(self, model: str, data: Row) -> Row:
        """Insert a row."""
        async with self._writing() as conn:
            return await _create(self, conn, model, data)

    async def find_one(self, model: str, where: Sequence[Where]) -> Row | None:
        """First matching row."""
        async with self._reading() as conn:
            return await _find_one(self, conn, model, where)

    async def find_many(
        self,
        model: str,
        where: Sequence[Where] = (),
        *,
        limit: int | None = None,
        offset: int = 0,
        sort_by: SortBy | None = None,
    ) -> list[Row]:
        """Matching rows."""
        async with self._reading() as conn:
            return await _find_many(self, conn, model, where, limit, offset, sort_by)

    async def count(self, model: str, where: Sequence[Where] = ()) -> int:
        """Number of matching rows."""
        async with self._reading() as conn:
            return await _count(self, conn, model, where)

    async def update(self, model: str, where: Sequence[Where], values: Row) -> Row | None:
        """Update matching rows; return the first updated row."""
        async with self._writing() as conn:
            rows = await _update(self, conn, model, where, values)
            return rows[0] if rows else None

    async def update_many(self, model: str, where: Sequence[Where], values: Row) -> int:
        """Update matching rows; return the count."""
        async with self._writing() as conn:
            return len(await _update(self, conn, model, where, values))

    async def delete(self, model: str, where: Sequence[Where]) -> int:
        """Delete matching rows (foreign keys cascade)."""
        async with self._writing() as conn:
            return await _delete(self, conn, model, where)

    async def consume_one(self, model: str, where: Sequence[Where], *, newest_by: str = "createdAt") -> Row | None:
        """Delete and return the newest matching row in one statement."""
        async with self._writing() as conn:
            return await _consume_one(self, conn, model, where, newest_by)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Adapter]:
        """Operations on the yielded adapter share one database transaction."""
        async with self._writing() as conn:
            yield _ConnectionAdapter(self, conn)

    async def create_schema(self) -> None:
        """``CREATE TABLE IF NOT EXISTS`` for every table and index."""
        async with self._writing() as conn:
            await conn.run_sync(self.metadata.create_all)

    async def close(self) -> None:
        """Dispose of the engine's pool."""
        await self.engine.dispose()


# The primitives are written once, over a connection, and shared by the engine-level adapter and
# the transaction-bound one.


def _row(result_row: Any) -> Row:
    return dict(result_row._mapping)


async def _create(a: SQLAlchemyAdapter, conn: AsyncConnection, model: str, data: Row) -> Row:
    table = a._t(model)
    try:
        result = await conn.execute(sa.insert(table).values(a._values(table, data)).returning(*table.c))
    except IntegrityError as exc:
        raise UniqueViolationError(str(exc.orig)) from exc
    return _row(result.one())


async def _find_one(a: SQLAlchemyAdapter, conn: AsyncConnection, model: str, where: Sequence[Where]) -> Row | None:
    table = a._t(model)
    result = await conn.execute(sa.select(table).where(a._clause(table, where)).limit(1))
    row = result.first()
    return None if row is None else _row(row)


async def _find_many(
    a: SQLAlchemyAdapter,
    conn: AsyncConnection,
    model: str,
    where: Sequence[Where],
    limit: int | None,
    offset: int,
    sort_by: SortBy | None,
) -> list[Row]:
    table = a._t(model)
    stmt = sa.select(table).where(a._clause(table, where))
    if sort_by is not None:
        column = table.c[sort_by.field]
        if sort_by.direction == "desc":
            stmt = stmt.order_by(column.desc().nulls_first())
        else:
            stmt = stmt.order_by(column.asc().nulls_last())
    if limit is not None:
        stmt = stmt.limit(limit)
    if offset:
        stmt = stmt.offset(offset)
        if limit is None and a._sqlite:
            stmt = stmt.limit(-1)
    result = await conn.execute(stmt)
    return [_row(r) for r in result]


async def _count(a: SQLAlchemyAdapter, conn: AsyncConnection, model: str, where: Sequence[Where]) -> int:
    table = a._t(model)
    result = await conn.execute(sa.select(sa.func.count()).select_from(table).where(a._clause(table, where)))
    return int(result.scalar_one())


async def _update(
    a: SQLAlchemyAdapter, conn: AsyncConnection, model: str, where: Sequence[Where], values: Row
) -> list[Row]:
    table = a._t(model)
    stmt = sa.update(table).where(a._clause(table, where)).values(a._values(table, values)).returning(*table.c)
    try:
        result = await conn.execute(stmt)
    except IntegrityError as exc:
        raise UniqueViolationError(str(exc.orig)) from exc
    return [_row(r) for r in result]


async def _delete(a: SQLAlchemyAdapter, conn: AsyncConnection, model: str, where: Sequence[Where]) -> int:
    table = a._t(model)
    result = await conn.execute(sa.delete(table).where(a._clause(table, where)))
    return int(result.rowcount)


async def _consume_one(
    a: SQLAlchemyAdapter, conn: AsyncConnection, model: str, where: Sequence[Where], newest_by: str
) -> Row | None:
    table = a._t(model)
    newest = (
        sa.select(table.c.id)
        .where(a._clause(table, where))
        .order_by(table.c[newest_by].desc())
        .limit(1)
        .scalar_subquery()
    )
    result = await conn.execute(sa.delete(table).where(table.c.id == newest).returning(*table.c))
    row = result.first()
    return None if row is None else _row(row)


class _ConnectionAdapter:
    """The adapter contract over one connection inside a transaction."""

    def __init__(self, owner: SQLAlchemyAdapter, conn: AsyncConnection) -> None:
        self._a = owner
        self._conn = conn

    async def create(self, model: str, data: Row) -> Row:
        return await _create(self._a, self._conn, model, data)

    async def find_one(self, model: str, where: Sequence[Where]) -> Row | None:
        return await _find_one(self._a, self._conn, model, where)

    async def find_many(
        self,
        model: str,
        where: Sequence[Where] = (),
        *,
        limit: int | None = None,
        offset: int = 0,
        sort_by: SortBy | None = None,
    ) -> list[Row]:
        return await _find_many(self._a, self._conn, model, where, limit, offset, sort_by)

    async def count(self, model: str, where: Sequence[Where] = ()) -> int:
        return await _count(self._a, self._conn, model, where)

    async def update(self, model: str, where: Sequence[Where], values: Row) -> Row | None:
        rows = await _update(self._a, self._conn, model, where, values)
        return rows[0] if rows else None

    async def update_many(self, model: str, where: Sequence[Where], values: Row) -> int:
        return len(await _update(self._a, self._conn, model, where, values))

    async def delete(self, model: str, where: Sequence[Where]) -> int:
        return await _delete(self._a, self._conn, model, where)

    async def consume_one(self, model: str, where: Sequence[Where], *, newest_by: str = "createdAt") -> Row | None:
        return await _consume_one(self._a, self._conn, model, where, newest_by)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Adapter]:
        async with self._conn.begin_nested():
            yield self

    async def create_schema(self) -> None:
        await self._conn.run_sync(self._a.metadata.create_all)

    async def close(self) -> None:
        return None


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An ``AsyncEngine`` with the settings this library relies on.

    SQLite gets foreign keys (for cascading deletes), WAL and a busy timeout; an in-memory SQLite
    database gets a single shared connection so every request sees the same data.
    """
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.drivername.endswith("aiosqlite"):
            raise ConfigurationError("use the async SQLite driver: sqlite+aiosqlite:///path.db")
        if parsed.database in (None, "", ":memory:"):
            kwargs.setdefault("poolclass", StaticPool)
            kwargs.setdefault("connect_args", {"check_same_thread": False})
    elif parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+asyncpg")
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    engine = create_async_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


_: type[Adapter] = SQLAlchemyAdapter
__: type[Adapter] = _ConnectionAdapter
