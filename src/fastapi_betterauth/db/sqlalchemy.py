"""SQLAlchemy async adapter (Core, not ORM) for SQLite (aiosqlite) and PostgreSQL (asyncpg).

Tables are generated from the schema data with Better Auth's exact names and per-dialect column
types: ``text``/``boolean``/``timestamptz`` on PostgreSQL; ``text``/``integer``/
``date`` (ISO-8601 text as JS ``toISOString`` writes it) on SQLite. A database created here is
accepted by a TypeScript Better Auth server, and the other way round.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError, NoSuchTableError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import SingletonThreadPool, StaticPool
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
        # Better Auth's DDL: ``integer``, or ``bigint`` for millisecond timestamps.
        return sa.BigInteger() if spec.bigint else sa.Integer()
    if spec.type == "json":
        return sa.Text() if sqlite else postgresql.JSONB()
    raise ConfigurationError(f"unsupported field type {spec.type!r}")


_MAX_IDENTIFIER = 63  # PostgreSQL's NAMEDATALEN - 1


def _constraint_name(name: str) -> str | None:
    # PostgreSQL's own default names (``user_pkey``, ``user_email_key``, ``session_userId_fkey``), as
    # Better Auth's DDL gets them. Naming them explicitly keeps them when a user's Alembic metadata
    # has a naming convention. Longer names are left to the database, which truncates them.
    return name if len(name) <= _MAX_IDENTIFIER else None


def build_metadata(schema: Schema, dialect: str) -> sa.MetaData:
    """SQLAlchemy tables for ``schema`` with Better Auth's DDL for ``dialect``."""
    metadata = sa.MetaData()
    for table in schema.values():
        items: list[Any] = []
        for spec in table.fields:
            kwargs: dict[str, Any] = {"nullable": not spec.required}
            if spec.db_default_now and dialect != "sqlite":
                kwargs["server_default"] = sa.text("CURRENT_TIMESTAMP")
            items.append(sa.Column(spec.name, _column_type(spec, dialect), **kwargs))
        items.append(sa.PrimaryKeyConstraint("id", name=_constraint_name(f"{table.name}_pkey")))
        for spec in table.fields:
            if spec.unique:
                items.append(sa.UniqueConstraint(spec.name, name=_constraint_name(f"{table.name}_{spec.name}_key")))
        for spec in table.fields:
            if spec.references:
                ref_model, ref_field = spec.references
                items.append(
                    sa.ForeignKeyConstraint(
                        [spec.name],
                        [f"{ref_model}.{ref_field}"],
                        name=_constraint_name(f"{table.name}_{spec.name}_fkey"),
                        ondelete="CASCADE",
                    )
                )
        sa_table = sa.Table(table.name, metadata, *items)
        for spec in table.fields:
            if spec.index:
                sa.Index(f"{table.name}_{spec.name}_idx", sa_table.c[spec.name])
    return metadata


async def _no_reset(connection: Any) -> None:
    """The hot-path pool's ``reset``: nothing (see ``_hot_pool``)."""


def _is_id_lookup(where: Where) -> bool:
    """``Where("id", <str>)``: equality on the primary key, the shape the pre-compiled lookup serves."""
    return (
        where.field == "id"
        and where.operator == "eq"
        and where.connector == "AND"
        and where.mode != "insensitive"
        and isinstance(where.value, str)
    )


def _fold(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


@dataclass(frozen=True)
class _JoinPlan:
    """The compiled session+user lookup, rebuilt when the schema changes."""

    metadata: sa.MetaData
    statement: Any
    sql: str
    session_keys: tuple[str, ...]
    user_keys: tuple[str, ...]
    processors: tuple[Any, ...]


@dataclass(frozen=True)
class _ByIdPlan:
    """The compiled ``select * from <model> where id = :id`` of one model, rebuilt when the schema changes."""

    metadata: sa.MetaData
    statement: Any
    sql: str
    keys: tuple[str, ...]
    processors: tuple[Any, ...]


# SQLAlchemy's own URL query options for asyncpg, and the asyncpg name of the one that has one.
_SQLALCHEMY_ONLY = {"prepared_statement_name_func", "async_fallback"}
_RENAMED = {"prepared_statement_cache_size": "statement_cache_size"}


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SQLAlchemyAdapter:
    """The production adapter: an ``AsyncEngine`` over SQLite or PostgreSQL.

    SQLite allows one writer at a time; writes are serialised in-process (and WAL mode keeps reads
    concurrent), so concurrent sign-ups never fail with "database is locked". On an in-memory
    database (one shared connection) reads take turns with writes as well.

    On SQLite engines, including one passed in, every new connection gets enforced foreign keys
    (for cascading deletes), a Unicode-aware ``fba_lower()`` for insensitive matching, and explicit
    ``BEGIN`` statements instead of the ``sqlite3`` module's implicit ones (which would let a nested
    transaction commit on its own). Create the adapter before the engine opens connections.
    """

    def __init__(self, engine: AsyncEngine | str, schema: Schema | None = None) -> None:
        # Only an engine made here from a URL has connection options we know in full: those (and no
        # others) may open the direct driver pool of the hot path.
        self._owns_engine = isinstance(engine, str)
        if isinstance(engine, str):
            engine = create_engine(engine)
        self.engine = engine
        self.dialect = engine.dialect.name
        if self.dialect not in ("sqlite", "postgresql"):
            raise ConfigurationError(f"unsupported database dialect {self.dialect!r}")
        self._sqlite = self.dialect == "sqlite"
        if self._sqlite and not event.contains(engine.sync_engine, "connect", _sqlite_connection):
            event.listen(engine.sync_engine, "connect", _sqlite_connection)
            event.listen(engine.sync_engine, "begin", _sqlite_begin)
        self._write_lock = asyncio.Lock() if self._sqlite else None
        # One connection shared by every checkout (in-memory SQLite): reads must take turns too, or
        # a read would begin (and end) a transaction on the connection a writer is using.
        self._shared_connection = isinstance(engine.pool, StaticPool | SingletonThreadPool)
        self._join_plan: _JoinPlan | None = None
        self._by_id_plans: dict[str, _ByIdPlan] = {}
        self._driver_pool: Any = None
        self._driver_pool_loop: asyncio.AbstractEventLoop | None = None
        self._driver_pool_lock = asyncio.Lock()
        self._driver_pool_gate = asyncio.Semaphore(1)
        self.use_schema(schema or CORE_SCHEMA)

    def use_schema(self, schema: Schema) -> None:
        """Adopt a merged schema (called by ``BetterAuth`` once plugins are known)."""
        self.schema = dict(schema)
        self.metadata = build_metadata(self.schema, self.dialect)

    async def existing_columns(self, model: str) -> frozenset[str]:
        """The columns the database's table really has, e.g. those another server's plugins added."""
        async with self._reading() as conn:
            return await _existing_columns(self, conn, model)

    def _t(self, model: str) -> sa.Table:
        try:
            return self.metadata.tables[model]
        except KeyError:
            raise ConfigurationError(f"unknown model {model!r}") from None

    # -- SQL building -------------------------------------------------------------------------

    def _column(self, table: sa.Table, name: str) -> Any:
        try:
            return table.c[name]
        except KeyError:
            raise ConfigurationError(f"unknown field {table.name}.{name}") from None

    def _condition(self, table: sa.Table, where: Where) -> Any:
        # The semantics are those of ``_match.matches`` (the memory adapter), NULLs included.
        column: Any = self._column(table, where.field)
        textual = self.schema[table.name].field(where.field).type == "string"
        value = where.value
        op = where.operator
        if where.mode == "insensitive" and textual:
            column = sa.func.fba_lower(column) if self._sqlite else sa.func.lower(column)
            value = [_fold(v) for v in value or ()] if op in ("in", "not_in") else _fold(value)
        if op == "eq":
            return column.is_(None) if value is None else column == value
        if op == "ne":
            return column.is_not(None) if value is None else sa.or_(column != value, column.is_(None))
        if op in ("in", "not_in"):
            values = list(value or ())
            present = [v for v in values if v is not None]
            with_null = len(present) < len(values)
            if op == "in":
                return sa.or_(column.in_(present), column.is_(None)) if with_null else column.in_(present)
            if with_null:
                return sa.and_(column.not_in(present), column.is_not(None))
            return sa.or_(column.not_in(present), column.is_(None))
        if op in ("contains", "starts_with", "ends_with"):
            if not textual or not isinstance(value, str):
                return sa.false()
            if self._sqlite:
                # SQLite's LIKE ignores ASCII case; use exact substring functions instead.
                if value == "":
                    return column.is_not(None)
                if op == "contains":
                    return sa.func.instr(column, value) > 0
                if op == "starts_with":
                    return sa.func.substr(column, 1, len(value)) == value
                return sa.func.substr(column, -len(value)) == value
            pattern = _like_escape(value)
            pattern = {"contains": f"%{pattern}%", "starts_with": f"{pattern}%", "ends_with": f"%{pattern}"}[op]
            return column.like(pattern, escape="\\")
        if op in ("lt", "lte", "gt", "gte"):
            if value is None:
                return sa.false()
            if op == "lt":
                return column < value
            if op == "lte":
                return column <= value
            return column > value if op == "gt" else column >= value
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
        if self._shared_connection:
            async with self._writing() as conn:
                yield conn
            return
        async with self.engine.connect() as conn:
            yield conn

    # -- primitives ---------------------------------------------------------------------------

    async def create(self, model: str, data: Row) -> Row:
        """Insert a row."""
        async with self._writing() as conn:
            return await _create(self, conn, model, data)

    async def find_one(self, model: str, where: Sequence[Where]) -> Row | None:
        """First matching row."""
        if len(where) == 1 and _is_id_lookup(where[0]):
            return await self._find_by_id(model, where[0].value)
        async with self._reading() as conn:
            return await _find_one(self, conn, model, where)

    async def _find_by_id(self, model: str, row_id: str) -> Row | None:
        """``find_one(model, [Where("id", row_id)])`` by pre-compiled SQL: the user read of every JWT call."""
        plan = self._by_id_plans.get(model)
        if plan is None or plan.metadata is not self.metadata:
            table = self._t(model)
            statement = sa.select(*table.c).where(table.c.id == sa.bindparam("value"))
            dialect = self.engine.dialect
            plan = _ByIdPlan(
                metadata=self.metadata,
                statement=statement,
                sql=str(statement.compile(dialect=dialect)),
                keys=_plain_keys(table),
                processors=tuple(c.type._cached_result_processor(dialect, None) for c in table.c),
            )
            self._by_id_plans[model] = plan
        values = await self._fetch_raw(plan.statement, plan.sql, row_id)
        if values is None:
            return None
        converted = [v if process is None else process(v) for process, v in zip(plan.processors, values, strict=True)]
        return dict(zip(plan.keys, converted, strict=True))

    async def find_session_and_user(self, token: str) -> tuple[Row, Row] | None:
        """The session with ``token`` and its user in one indexed join: the get-session hot path.

        The pre-compiled SQL goes straight to the driver (asyncpg or aiosqlite), skipping SQLAlchemy's
        per-execution work; column types are converted with the same processors the Core path uses, so
        both paths return identical rows.
        """
        plan = self._session_join()
        values = await self._fetch_raw(plan.statement, plan.sql, token)
        if values is None:
            return None
        converted = [v if process is None else process(v) for process, v in zip(plan.processors, values, strict=True)]
        split = len(plan.session_keys)
        session = dict(zip(plan.session_keys, converted[:split], strict=True))
        user = dict(zip(plan.user_keys, converted[split:], strict=True))
        return session, user

    async def _fetch_raw(self, statement: Any, sql: str, value: Any) -> tuple[Any, ...] | None:
        """One row of a one-parameter pre-compiled query, as the driver returns it.

        On PostgreSQL (an engine this adapter made) through a small asyncpg pool of its own, which
        caches the prepared statement: SQLAlchemy's pool checkout costs more than the query.
        """
        pool = await self._hot_pool()
        if pool is not None:
            # In turn: asyncpg's pool lets a newcomer take a connection ahead of a waiter it just woke,
            # which under load starves some requests (p90 at 20x the median); the semaphore queues fairly.
            async with self._driver_pool_gate:
                record = await pool.fetchrow(sql, value)
            return None if record is None else tuple(record)
        async with self._reading() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            if self.engine.dialect.driver == "asyncpg":
                record = await raw.fetchrow(sql, value)  # type: ignore[union-attr]
                return None if record is None else tuple(record)
            if self.engine.dialect.driver == "aiosqlite":
                async with raw.execute(sql, (value,)) as cursor:  # type: ignore[union-attr]
                    found = await cursor.fetchone()
                return None if found is None else tuple(found)
            row = (await conn.execute(statement, {"token": value, "value": value})).first()  # pragma: no cover
            return None if row is None else tuple(row)  # pragma: no cover

    async def _hot_pool(self) -> Any:
        """The asyncpg pool of the hot path, opened on first use in this event loop; ``None`` if not used."""
        if not self._owns_engine or self.engine.dialect.driver != "asyncpg":
            return None
        loop = asyncio.get_running_loop()
        if self._driver_pool is not None and self._driver_pool_loop is loop:
            return self._driver_pool
        async with self._driver_pool_lock:
            if self._driver_pool is not None and self._driver_pool_loop is loop:
                return self._driver_pool
            import asyncpg

            _, options = self.engine.dialect.create_connect_args(self.engine.url)
            options = {_RENAMED.get(k, k): v for k, v in dict(options).items() if k not in _SQLALCHEMY_ONLY}
            size = max(1, min(self.engine.pool.size(), 10)) if hasattr(self.engine.pool, "size") else 5
            if "reset" in inspect.signature(asyncpg.create_pool).parameters:
                # Only single SELECTs run here: there is no session state to reset, and the default reset
                # is a second round trip per query.
                options["reset"] = _no_reset
            self._driver_pool = await asyncpg.create_pool(min_size=1, max_size=size, **options)
            self._driver_pool_gate = asyncio.Semaphore(size)
            self._driver_pool_loop = loop
            return self._driver_pool

    def _session_join(self) -> _JoinPlan:
        plan = self._join_plan
        if plan is None or plan.metadata is not self.metadata:
            session, user = self._t("session"), self._t("user")
            statement = (
                sa.select(*session.c, *user.c)
                .select_from(session.join(user, user.c.id == session.c.userId))
                .where(session.c.token == sa.bindparam("token"))
            )
            dialect = self.engine.dialect
            columns = [*session.c, *user.c]
            plan = _JoinPlan(
                metadata=self.metadata,
                statement=statement,
                sql=str(statement.compile(dialect=dialect)),
                session_keys=_plain_keys(session),
                user_keys=_plain_keys(user),
                processors=tuple(c.type._cached_result_processor(dialect, None) for c in columns),
            )
            self._join_plan = plan
        return plan

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

    async def increment(self, model: str, where: Sequence[Where], by: dict[str, int], values: Row) -> Row | None:
        """``UPDATE … SET n = n + k … WHERE <conditions> RETURNING *`` on one matching row."""
        async with self._writing() as conn:
            return await _increment(self, conn, model, where, by, values)

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

    async def create_schema(self, *, add_missing_columns: bool = False) -> None:
        """``CREATE TABLE IF NOT EXISTS`` for every table and index; then the columns existing tables lack.

        A table made before a plugin was added lacks the plugin's columns (``user.role`` of ``admin()``).
        With ``add_missing_columns`` (development) they are added with ``ALTER TABLE … ADD COLUMN``;
        without, nothing existing is altered and the missing columns are an error naming the command that
        adds them. ``BetterAuth.create_schema()`` adds them unless the environment is production.

        Raises:
            ConfigurationError: columns are missing and not added (see above).
        """
        async with self._writing() as conn:
            await _create_schema(self, conn, add_missing_columns)

    async def close(self) -> None:
        """Dispose of the engine's pool (and the hot path's)."""
        pool, self._driver_pool = self._driver_pool, None
        if pool is not None:
            if self._driver_pool_loop is asyncio.get_running_loop():
                await pool.close()
            else:  # made in an event loop that is gone: nothing to wait for
                pool.terminate()
        await self.engine.dispose()


# The primitives are written once, over a connection, and shared by the engine-level adapter and
# the transaction-bound one.


def _row(result_row: Any) -> Row:
    """A result row keyed by plain ``str``.

    SQLAlchemy names columns with ``quoted_name``, a ``str`` subclass that orjson refuses as a key
    (the answer would fall back to the slower encoder) and that leaks into hooks.
    """
    return {str(key): value for key, value in result_row._mapping.items()}


def _plain_keys(table: sa.Table) -> tuple[str, ...]:
    """A table's column names as plain ``str`` (see ``_row``)."""
    return tuple(str(key) for key in table.c.keys())


def _is_unique_violation(exc: IntegrityError) -> bool:
    """Whether an integrity error is a duplicate key (not a NOT NULL or foreign key failure)."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "23505" or getattr(orig, "pgcode", None) == "23505":  # PostgreSQL
        return True
    # SQLite: "UNIQUE constraint failed: user.email" (primary keys report the same way).
    return str(orig).startswith("UNIQUE constraint failed")


async def _execute_write(conn: AsyncConnection, stmt: Any) -> Any:
    try:
        return await conn.execute(stmt)
    except IntegrityError as exc:
        if _is_unique_violation(exc):
            raise UniqueViolationError(str(exc.orig)) from exc
        raise


async def _create(a: SQLAlchemyAdapter, conn: AsyncConnection, model: str, data: Row) -> Row:
    table = a._t(model)
    result = await _execute_write(conn, sa.insert(table).values(a._values(table, data)).returning(*table.c))
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
        column = a._column(table, sort_by.field)
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
    changes = a._values(table, values)
    if not changes:  # nothing to set: the matching rows, unchanged
        result = await conn.execute(sa.select(table).where(a._clause(table, where)))
    else:
        stmt = sa.update(table).where(a._clause(table, where)).values(changes).returning(*table.c)
        result = await _execute_write(conn, stmt)
    return [_row(r) for r in result]


async def _increment(
    a: SQLAlchemyAdapter, conn: AsyncConnection, model: str, where: Sequence[Where], by: dict[str, int], values: Row
) -> Row | None:
    # The conditions sit in the UPDATE itself (not a subquery): PostgreSQL re-checks them against a row
    # another transaction changed meanwhile, which is what makes "count < max" hold under concurrency.
    table = a._t(model)
    changes = {**a._values(table, values), **{a._column(table, f).key: a._column(table, f) + n for f, n in by.items()}}
    result = await _execute_write(
        conn, sa.update(table).where(a._clause(table, where)).values(changes).returning(*table.c)
    )
    row = result.first()
    return None if row is None else _row(row)


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
        .order_by(a._column(table, newest_by).desc().nulls_last())
        .limit(1)
        .scalar_subquery()
    )
    result = await conn.execute(sa.delete(table).where(table.c.id == newest).returning(*table.c))
    row = result.first()
    return None if row is None else _row(row)


async def _existing_columns(a: SQLAlchemyAdapter, conn: AsyncConnection, model: str) -> frozenset[str]:
    name = a._t(model).name
    try:
        columns = await conn.run_sync(lambda sync: sa.inspect(sync).get_columns(name))
    except NoSuchTableError:  # e.g. no session table: a Better Auth server with secondary storage makes none
        return frozenset()
    return frozenset(str(c["name"]) for c in columns)


async def _create_schema(a: SQLAlchemyAdapter, conn: AsyncConnection, add_missing_columns: bool) -> None:
    from ..schema_check import complete_columns

    schema, metadata = a.schema, a.metadata
    await conn.run_sync(metadata.create_all)
    await conn.run_sync(lambda sync: complete_columns(sync, schema, metadata, add=add_missing_columns))


class _ConnectionAdapter:
    """The adapter contract over one connection inside a transaction."""

    def __init__(self, owner: SQLAlchemyAdapter, conn: AsyncConnection) -> None:
        self._a = owner
        self._conn = conn

    def use_schema(self, schema: Schema) -> None:
        self._a.use_schema(schema)

    async def existing_columns(self, model: str) -> frozenset[str]:
        return await _existing_columns(self._a, self._conn, model)

    async def find_session_and_user(self, token: str) -> tuple[Row, Row] | None:
        plan = self._a._session_join()
        row = (await self._conn.execute(plan.statement, {"token": token})).first()
        if row is None:
            return None
        split = len(plan.session_keys)
        values = tuple(row)
        return dict(zip(plan.session_keys, values[:split], strict=True)), dict(
            zip(plan.user_keys, values[split:], strict=True)
        )

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

    async def increment(self, model: str, where: Sequence[Where], by: dict[str, int], values: Row) -> Row | None:
        return await _increment(self._a, self._conn, model, where, by, values)

    async def delete(self, model: str, where: Sequence[Where]) -> int:
        return await _delete(self._a, self._conn, model, where)

    async def consume_one(self, model: str, where: Sequence[Where], *, newest_by: str = "createdAt") -> Row | None:
        return await _consume_one(self._a, self._conn, model, where, newest_by)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Adapter]:
        async with self._conn.begin_nested():
            yield self

    async def create_schema(self, *, add_missing_columns: bool = False) -> None:
        await _create_schema(self._a, self._conn, add_missing_columns)

    async def close(self) -> None:
        return None


def _sqlite_connection(dbapi_connection: Any, connection_record: Any) -> None:
    """What the adapter needs on every SQLite connection, whoever made the engine."""
    # Cascading deletes (session and account rows of a deleted user) need enforced foreign keys.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # The sqlite3 module begins transactions lazily, before the first INSERT/UPDATE/DELETE only, so a
    # transaction that starts with a SAVEPOINT (a nested transaction) would commit on its RELEASE.
    # Take transaction control from the driver; ``_sqlite_begin`` emits BEGIN instead.
    dbapi_connection.isolation_level = None
    # SQLite's lower() folds ASCII only; insensitive matching folds as Python (and PostgreSQL) do.
    dbapi_connection.create_function("fba_lower", 1, _fold, deterministic=True)


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN")


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


DRIVER_EXTRAS = {"asyncpg": "postgres", "aiosqlite": "sqlite"}
"""The package extra that installs each database driver this library supports."""


def missing_driver(module: str | None, drivername: str | None = None) -> str:
    """What to install when the URL's driver is not: the extra for ours, the module for anything else.

    The one wording of this advice: ``create_engine`` raises it, and the command line prints it.
    """
    named = f" ({drivername})" if drivername else ""
    extra = DRIVER_EXTRAS.get(module or "")
    if extra is not None:
        return (
            f"the database URL needs the {module} driver{named}, which is not installed: "
            f'pip install "fastapi-betterauth-server[{extra}]"'
        )
    return f"the database URL needs the Python module {module!r}{named}, which is not installed"


def _discard_closed(dbapi_connection: Any, connection_record: Any, connection_proxy: Any) -> None:
    """Never hand out a pooled asyncpg connection the server closed (a restart, a failover).

    asyncpg notices the closed socket by itself; without this check SQLAlchemy would give the dead
    connection to one more request (a 503) before discarding its pool. A local flag, no round trip
    (``pool_pre_ping`` would cost one per checkout). The pool replaces the connection and retries.
    """
    driver = getattr(dbapi_connection, "_connection", None)
    if driver is not None and driver.is_closed():
        raise sa.exc.DisconnectionError("the server closed this pooled connection")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An ``AsyncEngine`` with the settings this library relies on.

    SQLite gets foreign keys (for cascading deletes), WAL and a busy timeout; an in-memory SQLite
    database gets a single shared connection so every request sees the same data. Pools keep their
    connections (no overflow): under a burst, requests wait briefly for a connection instead of
    opening and closing one per request, which costs far more than the query.
    """
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        # never echo the URL: it may carry the database password
        raise ConfigurationError(
            "the database URL is not a valid SQLAlchemy URL (e.g. sqlite+aiosqlite:///./app.db or "
            "postgresql+asyncpg://user@host/db)"
        ) from None
    # Errors never quote the statement's values (emails, tokens, hashes) into messages and logs.
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.drivername.endswith("aiosqlite"):
            raise ConfigurationError("use the async SQLite driver: sqlite+aiosqlite:///path.db")
        if parsed.database in (None, "", ":memory:"):
            kwargs.setdefault("poolclass", StaticPool)
            kwargs.setdefault("connect_args", {"check_same_thread": False})
        else:
            kwargs.setdefault("pool_size", 8)
            kwargs.setdefault("max_overflow", 0)
    elif parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+asyncpg")
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 0)
    try:
        engine = create_async_engine(parsed, **kwargs)
    except ModuleNotFoundError as exc:
        raise ConfigurationError(missing_driver(exc.name, parsed.drivername)) from None
    except sa.exc.NoSuchModuleError:
        raise ConfigurationError(
            f"no SQLAlchemy dialect {parsed.drivername!r}: use sqlite+aiosqlite:// or postgresql+asyncpg://"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    elif engine.dialect.driver == "asyncpg":
        event.listen(engine.sync_engine, "checkout", _discard_closed)
    return engine


_: type[Adapter] = SQLAlchemyAdapter
__: type[Adapter] = _ConnectionAdapter
