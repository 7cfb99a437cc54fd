"""The storage contract every database implements.

Mirrors Better Auth's ``DBAdapter`` (``@better-auth/core/dist/db/adapter``): a handful of generic
primitives over dict rows keyed by Better Auth's model and field names. Rows hold plain Python
values: ``str``, ``bool``, ``int``, ``float``, ``None`` and timezone-aware UTC ``datetime``.
Domain operations live above this, in :class:`~fastapi_betterauth.db.store.AuthStore`.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from .schema import Schema

Row = dict[str, Any]
Operator = Literal["eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "contains", "starts_with", "ends_with"]
Connector = Literal["AND", "OR"]


class UniqueViolationError(Exception):
    """A unique column (``user.email``, ``session.token``, an ``id``) already holds the value."""


@dataclass(frozen=True, slots=True)
class Where:
    """One condition. ``mode="insensitive"`` compares strings case-insensitively."""

    field: str
    value: Any
    operator: Operator = "eq"
    connector: Connector = "AND"
    mode: Literal["sensitive", "insensitive"] = "sensitive"


@dataclass(frozen=True, slots=True)
class SortBy:
    """Order of ``find_many`` results."""

    field: str
    direction: Literal["asc", "desc"] = "asc"


class Adapter(Protocol):
    """Generic storage primitives. Every implementation must pass ``tests/db/contract.py``.

    The same contract holds inside a transaction (``transaction()`` yields an ``Adapter``).
    """

    def use_schema(self, schema: Schema) -> None:
        """Adopt the merged schema (core tables plus the plugins' tables and columns)."""
        ...

    async def existing_columns(self, model: str) -> frozenset[str]:
        """The columns the stored table really has (none if it does not exist): another server may differ."""
        ...

    async def find_session_and_user(self, token: str) -> tuple[Row, Row] | None:
        """The session with ``token`` and its user, or ``None``: the get-session hot path, one lookup."""
        ...

    async def create(self, model: str, data: Row) -> Row:
        """Insert ``data`` (which includes ``id``) and return the stored row."""
        ...

    async def find_one(self, model: str, where: Sequence[Where]) -> Row | None:
        """The first row matching ``where``, or ``None``."""
        ...

    async def find_many(
        self,
        model: str,
        where: Sequence[Where] = (),
        *,
        limit: int | None = None,
        offset: int = 0,
        sort_by: SortBy | None = None,
    ) -> list[Row]:
        """Rows matching ``where``."""
        ...

    async def count(self, model: str, where: Sequence[Where] = ()) -> int:
        """Number of rows matching ``where``."""
        ...

    async def update(self, model: str, where: Sequence[Where], values: Row) -> Row | None:
        """Update the rows matching ``where``; return one updated row, or ``None`` if none matched."""
        ...

    async def update_many(self, model: str, where: Sequence[Where], values: Row) -> int:
        """Update every row matching ``where``; return how many changed."""
        ...

    async def increment(self, model: str, where: Sequence[Where], by: dict[str, int], values: Row) -> Row | None:
        """Atomically add ``by`` to number columns and set ``values`` on the rows matching ``where`` (a unique key).

        Better Auth's ``incrementOne``: the conditions and the change are one statement, so two
        workers counting the same key never lose a count. Returns the updated row, or ``None``.
        """
        ...

    async def delete(self, model: str, where: Sequence[Where]) -> int:
        """Delete every row matching ``where``; return how many were deleted."""
        ...

    async def consume_one(self, model: str, where: Sequence[Where], *, newest_by: str = "createdAt") -> Row | None:
        """Atomically delete and return the newest matching row: single-use tokens.

        Two concurrent calls for the same row never both get it.
        """
        ...

    def transaction(self) -> AbstractAsyncContextManager[Adapter]:
        """An adapter whose operations commit together, or not at all."""
        ...

    async def create_schema(self) -> None:
        """Create missing tables and indexes (development; use Alembic in production)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
