"""In-process adapter: the reference implementation of the contract, for tests and demos.

Data lives in dicts and is lost when the process exits.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from ..errors import ConfigurationError
from ._match import matches
from .adapter import Adapter, Row, SortBy, UniqueViolationError, Where
from .schema import CORE_SCHEMA, Schema, TableSpec


def _stored(value: Any) -> Any:
    # Databases keep instants, not offsets: every datetime reads back in UTC.
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


class MemoryAdapter:
    """Rows in dictionaries.

    Writes are serialised by one lock, so every operation is atomic. A transaction holds that lock
    until it ends (as a SQLite write transaction does), so rolling it back never undoes another
    caller's writes. Reads do not wait for it and may see a transaction's uncommitted rows.
    """

    def __init__(self, schema: Schema | None = None) -> None:
        self._schema = dict(schema or CORE_SCHEMA)
        self._tables: dict[str, dict[str, Row]] = {name: {} for name in self._schema}
        self._lock = asyncio.Lock()

    def use_schema(self, schema: Schema) -> None:
        """Adopt a merged schema (called by ``BetterAuth`` once plugins are known)."""
        self._schema = dict(schema)
        for name in schema:
            self._tables.setdefault(name, {})

    async def existing_columns(self, model: str) -> frozenset[str]:
        """The schema's columns: memory has no other server writing to it."""
        return frozenset(spec.name for spec in self._spec(model).fields)

    async def find_session_and_user(self, token: str) -> tuple[Row, Row] | None:
        """The session with ``token`` and its user."""
        return self._session_and_user(token)

    # -- synchronous core, shared by the adapter and its transactions ---------------------------

    def _spec(self, model: str) -> TableSpec:
        try:
            return self._schema[model]
        except KeyError:
            raise ConfigurationError(f"unknown model {model!r}") from None

    def _table(self, model: str) -> dict[str, Row]:
        self._spec(model)
        return self._tables.setdefault(model, {})

    def _check_fields(self, model: str, names: Sequence[str]) -> None:
        spec = self._spec(model)
        for name in names:
            if not spec.has(name):
                raise ConfigurationError(f"unknown field {model}.{name}")

    def _check_unique(self, model: str, rows: Sequence[Row]) -> None:
        """Raise if two of ``rows`` (a table's complete future contents) share a unique value."""
        for spec in self._schema[model].fields:
            if spec.name != "id" and not spec.unique:
                continue
            seen: set[Any] = set()
            for row in rows:
                value = row.get(spec.name)
                if value is None:
                    continue
                if value in seen:
                    raise UniqueViolationError(f"{model}.{spec.name}")
                seen.add(value)

    def _session_and_user(self, token: str) -> tuple[Row, Row] | None:
        sessions = self._find_many("session", [Where("token", token)], 1, 0, None)
        if not sessions:
            return None
        users = self._find_many("user", [Where("id", sessions[0]["userId"])], 1, 0, None)
        return (sessions[0], users[0]) if users else None

    def _select(self, model: str, where: Sequence[Where]) -> list[Row]:
        self._check_fields(model, [w.field for w in where])
        return [row for row in self._table(model).values() if matches(row, where)]

    def _create(self, model: str, data: Row) -> Row:
        spec = self._spec(model)
        table = self._table(model)
        row: Row = {field.name: _stored(data.get(field.name)) for field in spec.fields}
        self._check_unique(model, [*table.values(), row])
        table[row["id"]] = row
        return dict(row)

    def _find_many(
        self, model: str, where: Sequence[Where], limit: int | None, offset: int, sort_by: SortBy | None
    ) -> list[Row]:
        rows = self._select(model, where)
        if sort_by is not None:
            self._check_fields(model, [sort_by.field])
            present = [r for r in rows if r.get(sort_by.field) is not None]
            missing = [r for r in rows if r.get(sort_by.field) is None]
            present.sort(key=lambda r: r[sort_by.field], reverse=sort_by.direction == "desc")
            # NULLs sort last ascending and first descending, as PostgreSQL does.
            rows = present + missing if sort_by.direction == "asc" else missing + present
        end = None if limit is None else offset + limit
        return [dict(r) for r in rows[offset:end]]

    def _update(self, model: str, where: Sequence[Where], values: Row) -> list[Row]:
        spec = self._spec(model)
        table = self._table(model)
        changes = {k: _stored(v) for k, v in values.items() if spec.has(k)}
        targets = self._select(model, where)
        if not targets:
            return []
        updated = {row["id"]: {**row, **changes} for row in targets}
        # All or nothing: check the table as it would be after the update before changing anything.
        after = [updated.get(row["id"], row) for row in table.values()]
        self._check_unique(model, after)
        table.clear()
        table.update((row["id"], row) for row in after)  # re-keyed, since ``id`` may have changed
        return [dict(new) for new in updated.values()]

    def _increment(self, model: str, where: Sequence[Where], by: dict[str, int], values: Row) -> Row | None:
        targets = self._select(model, where)
        if not targets:
            return None
        row = targets[0]
        changes = {**values, **{field: (row.get(field) or 0) + step for field, step in by.items()}}
        updated = self._update(model, [Where("id", row["id"])], changes)
        return updated[0] if updated else None

    def _delete(self, model: str, where: Sequence[Where]) -> int:
        table = self._table(model)
        doomed = [row["id"] for row in self._select(model, where)]
        for row_id in doomed:
            del table[row_id]
        if doomed:
            for other, spec in self._schema.items():
                for column in spec.fields:
                    if column.references and column.references[0] == model:
                        self._delete(other, [Where(column.name, doomed, "in")])
        return len(doomed)

    def _consume_one(self, model: str, where: Sequence[Where], newest_by: str) -> Row | None:
        self._check_fields(model, [newest_by])
        rows = self._select(model, where)
        if not rows:
            return None
        # A NULL ``newest_by`` counts as the oldest.
        newest = max(rows, key=lambda r: (r.get(newest_by) is not None, r.get(newest_by)))
        del self._table(model)[newest["id"]]
        return dict(newest)

    # -- the adapter ------------------------------------------------------------------------------

    async def create(self, model: str, data: Row) -> Row:
        """Insert a row."""
        async with self._lock:
            return self._create(model, data)

    async def find_one(self, model: str, where: Sequence[Where]) -> Row | None:
        """First matching row."""
        rows = self._find_many(model, where, 1, 0, None)
        return rows[0] if rows else None

    async def find_many(
        self,
        model: str,
        where: Sequence[Where] = (),
        *,
        limit: int | None = None,
        offset: int = 0,
        sort_by: SortBy | None = None,
    ) -> list[Row]:
        """Matching rows, optionally sorted and paginated."""
        return self._find_many(model, where, limit, offset, sort_by)

    async def count(self, model: str, where: Sequence[Where] = ()) -> int:
        """Number of matching rows."""
        return len(self._select(model, where))

    async def update(self, model: str, where: Sequence[Where], values: Row) -> Row | None:
        """Update matching rows; return the first."""
        async with self._lock:
            updated = self._update(model, where, values)
            return updated[0] if updated else None

    async def update_many(self, model: str, where: Sequence[Where], values: Row) -> int:
        """Update matching rows; return the count."""
        async with self._lock:
            return len(self._update(model, where, values))

    async def increment(self, model: str, where: Sequence[Where], by: dict[str, int], values: Row) -> Row | None:
        """Add ``by`` and set ``values`` on the first matching row, atomically."""
        async with self._lock:
            return self._increment(model, where, by, values)

    async def delete(self, model: str, where: Sequence[Where]) -> int:
        """Delete matching rows, cascading to rows that reference them."""
        async with self._lock:
            return self._delete(model, where)

    async def consume_one(self, model: str, where: Sequence[Where], *, newest_by: str = "createdAt") -> Row | None:
        """Delete and return the newest matching row, atomically."""
        async with self._lock:
            return self._consume_one(model, where, newest_by)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Adapter]:
        """All-or-nothing: on error the tables are restored from a snapshot."""
        async with self._lock:
            async with _MemoryTransaction(self).transaction() as tx:
                yield tx

    async def create_schema(self) -> None:
        """Nothing to create."""

    async def close(self) -> None:
        """Nothing to release."""


class _MemoryTransaction:
    """The adapter inside a transaction: the owner's lock is already held, so nothing locks."""

    def __init__(self, owner: MemoryAdapter) -> None:
        self._a = owner

    def use_schema(self, schema: Schema) -> None:
        self._a.use_schema(schema)

    async def existing_columns(self, model: str) -> frozenset[str]:
        return await self._a.existing_columns(model)

    async def find_session_and_user(self, token: str) -> tuple[Row, Row] | None:
        return self._a._session_and_user(token)

    async def create(self, model: str, data: Row) -> Row:
        return self._a._create(model, data)

    async def find_one(self, model: str, where: Sequence[Where]) -> Row | None:
        rows = self._a._find_many(model, where, 1, 0, None)
        return rows[0] if rows else None

    async def find_many(
        self,
        model: str,
        where: Sequence[Where] = (),
        *,
        limit: int | None = None,
        offset: int = 0,
        sort_by: SortBy | None = None,
    ) -> list[Row]:
        return self._a._find_many(model, where, limit, offset, sort_by)

    async def count(self, model: str, where: Sequence[Where] = ()) -> int:
        return len(self._a._select(model, where))

    async def update(self, model: str, where: Sequence[Where], values: Row) -> Row | None:
        updated = self._a._update(model, where, values)
        return updated[0] if updated else None

    async def update_many(self, model: str, where: Sequence[Where], values: Row) -> int:
        return len(self._a._update(model, where, values))

    async def increment(self, model: str, where: Sequence[Where], by: dict[str, int], values: Row) -> Row | None:
        return self._a._increment(model, where, by, values)

    async def delete(self, model: str, where: Sequence[Where]) -> int:
        return self._a._delete(model, where)

    async def consume_one(self, model: str, where: Sequence[Where], *, newest_by: str = "createdAt") -> Row | None:
        return self._a._consume_one(model, where, newest_by)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Adapter]:
        # Nested transactions are savepoints: a failure restores the state at their start only.
        snapshot = copy.deepcopy(self._a._tables)
        try:
            yield self
        except BaseException:
            self._a._tables = snapshot
            raise

    async def create_schema(self) -> None:
        return None

    async def close(self) -> None:
        return None


_: type[Adapter] = MemoryAdapter
__: type[Adapter] = _MemoryTransaction
