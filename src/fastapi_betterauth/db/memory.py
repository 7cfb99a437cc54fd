"""In-process adapter: the reference implementation of the contract, for tests and demos.

Data lives in dicts and is lost when the process exits.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from ..errors import ConfigurationError
from ._match import matches
from .adapter import Adapter, Row, SortBy, UniqueViolationError, Where
from .schema import CORE_SCHEMA, Schema


class MemoryAdapter:
    """Rows in dictionaries, guarded by one lock so every operation is atomic."""

    def __init__(self, schema: Schema | None = None) -> None:
        self._schema = dict(schema or CORE_SCHEMA)
        self._tables: dict[str, dict[str, Row]] = {name: {} for name in self._schema}
        self._lock = asyncio.Lock()

    def use_schema(self, schema: Schema) -> None:
        """Adopt a merged schema (called by ``BetterAuth`` once plugins are known)."""
        self._schema = dict(schema)
        for name in schema:
            self._tables.setdefault(name, {})

    def _table(self, model: str) -> dict[str, Row]:
        try:
            return self._tables[model]
        except KeyError:
            raise ConfigurationError(f"unknown model {model!r}") from None

    def _check_unique(self, model: str, row: Row, ignore_id: Any = None) -> None:
        table = self._table(model)
        if row["id"] in table and row["id"] != ignore_id:
            raise UniqueViolationError(f"{model}.id")
        for spec in self._schema[model].fields:
            if spec.unique and row.get(spec.name) is not None:
                for other in table.values():
                    if other["id"] != ignore_id and other.get(spec.name) == row[spec.name]:
                        raise UniqueViolationError(f"{model}.{spec.name}")

    def _select(self, model: str, where: Sequence[Where]) -> list[Row]:
        return [row for row in self._table(model).values() if matches(row, where)]

    async def create(self, model: str, data: Row) -> Row:
        """Insert a row."""
        async with self._lock:
            row: Row = {spec.name: data.get(spec.name) for spec in self._schema[model].fields}
            self._check_unique(model, row, ignore_id=None)
            self._table(model)[str(row["id"])] = row
            return dict(row)

    async def find_one(self, model: str, where: Sequence[Where]) -> Row | None:
        """First matching row."""
        for row in self._table(model).values():
            if matches(row, where):
                return dict(row)
        return None

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
        rows = self._select(model, where)
        if sort_by is not None:
            present = [r for r in rows if r.get(sort_by.field) is not None]
            missing = [r for r in rows if r.get(sort_by.field) is None]
            present.sort(key=lambda r: r[sort_by.field], reverse=sort_by.direction == "desc")
            # NULLs sort last ascending and first descending, as PostgreSQL does.
            rows = present + missing if sort_by.direction == "asc" else missing + present
        end = None if limit is None else offset + limit
        return [dict(r) for r in rows[offset:end]]

    async def count(self, model: str, where: Sequence[Where] = ()) -> int:
        """Number of matching rows."""
        return len(self._select(model, where))

    async def update(self, model: str, where: Sequence[Where], values: Row) -> Row | None:
        """Update matching rows; return the first."""
        async with self._lock:
            updated = self._update(model, where, values)
            return dict(updated[0]) if updated else None

    async def update_many(self, model: str, where: Sequence[Where], values: Row) -> int:
        """Update matching rows; return the count."""
        async with self._lock:
            return len(self._update(model, where, values))

    def _update(self, model: str, where: Sequence[Where], values: Row) -> list[Row]:
        targets = self._select(model, where)
        for row in targets:
            candidate = {**row, **values}
            self._check_unique(model, candidate, ignore_id=row["id"])
        for row in targets:
            row.update(values)
        return targets

    async def delete(self, model: str, where: Sequence[Where]) -> int:
        """Delete matching rows, cascading to rows that reference them."""
        async with self._lock:
            return self._delete(model, where)

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

    async def consume_one(self, model: str, where: Sequence[Where], *, newest_by: str = "createdAt") -> Row | None:
        """Delete and return the newest matching row, atomically."""
        async with self._lock:
            rows = self._select(model, where)
            if not rows:
                return None
            newest = max(rows, key=lambda r: r.get(newest_by) or 0)
            del self._table(model)[newest["id"]]
            return dict(newest)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Adapter]:
        """All-or-nothing: on error the tables are restored from a snapshot."""
        snapshot = copy.deepcopy(self._tables)
        try:
            yield self
        except BaseException:
            self._tables = snapshot
            raise

    async def create_schema(self) -> None:
        """Nothing to create."""

    async def close(self) -> None:
        """Nothing to release."""


_: type[Adapter] = MemoryAdapter
