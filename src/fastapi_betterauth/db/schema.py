"""The database schema as data, so plugins can extend it.

Mirrors ``@better-auth/core/dist/db/get-tables.mjs``: model and field names are Better Auth's,
verbatim, in the same order, so the generated DDL matches what Better Auth's own migration
generator produces.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from ..errors import ConfigurationError

FieldType = Literal["string", "boolean", "date", "number", "json"]


@dataclass(frozen=True)
class FieldSpec:
    """One column. ``input=False`` fields cannot be set by users (400 FIELD_NOT_ALLOWED)."""

    name: str
    type: FieldType
    required: bool = True
    unique: bool = False
    index: bool = False
    references: tuple[str, str] | None = None
    """(model, field) of a foreign key; deletes cascade as in Better Auth."""
    db_default_now: bool = False
    """PostgreSQL ``DEFAULT CURRENT_TIMESTAMP`` (Better Auth puts it on some date columns)."""
    input: bool = True
    returned: bool = True
    default: object = None
    """Value used on create when the caller gives none (application side, like Better Auth)."""
    bigint: bool = False
    """A ``number`` column that holds epoch milliseconds: ``bigint`` (Better Auth: ``bigint: true``)."""


@dataclass(frozen=True)
class TableSpec:
    """One table: name and ordered fields (``id`` first, implicit primary key)."""

    name: str
    fields: tuple[FieldSpec, ...]

    def field(self, name: str) -> FieldSpec:
        """The field called ``name``."""
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(f"{self.name}.{name}")

    def has(self, name: str) -> bool:
        """Whether the table has a field called ``name``."""
        return any(spec.name == name for spec in self.fields)


Schema = Mapping[str, TableSpec]

_ID = FieldSpec("id", "string")

CORE_SCHEMA: dict[str, TableSpec] = {
    "user": TableSpec(
        "user",
        (
            _ID,
            FieldSpec("name", "string"),
            FieldSpec("email", "string", unique=True),
            FieldSpec("emailVerified", "boolean", input=False, default=False),
            FieldSpec("image", "string", required=False),
            FieldSpec("createdAt", "date", db_default_now=True, input=False),
            FieldSpec("updatedAt", "date", db_default_now=True, input=False),
        ),
    ),
    "session": TableSpec(
        "session",
        (
            _ID,
            FieldSpec("expiresAt", "date"),
            FieldSpec("token", "string", unique=True),
            FieldSpec("createdAt", "date", db_default_now=True),
            FieldSpec("updatedAt", "date"),
            FieldSpec("ipAddress", "string", required=False),
            FieldSpec("userAgent", "string", required=False),
            FieldSpec("userId", "string", references=("user", "id"), index=True),
        ),
    ),
    "account": TableSpec(
        "account",
        (
            _ID,
            FieldSpec("accountId", "string"),
            FieldSpec("providerId", "string"),
            FieldSpec("userId", "string", references=("user", "id"), index=True),
            FieldSpec("accessToken", "string", required=False, returned=False),
            FieldSpec("refreshToken", "string", required=False, returned=False),
            FieldSpec("idToken", "string", required=False, returned=False),
            FieldSpec("accessTokenExpiresAt", "date", required=False, returned=False),
            FieldSpec("refreshTokenExpiresAt", "date", required=False, returned=False),
            FieldSpec("scope", "string", required=False),
            FieldSpec("password", "string", required=False, returned=False),
            FieldSpec("createdAt", "date", db_default_now=True),
            FieldSpec("updatedAt", "date"),
        ),
    ),
    "verification": TableSpec(
        "verification",
        (
            _ID,
            FieldSpec("identifier", "string", index=True),
            FieldSpec("value", "string"),
            FieldSpec("expiresAt", "date"),
            FieldSpec("createdAt", "date", db_default_now=True),
            FieldSpec("updatedAt", "date", db_default_now=True),
        ),
    ),
}


RATE_LIMIT_TABLE = TableSpec(
    "rateLimit",
    (
        _ID,
        FieldSpec("key", "string", unique=True),
        FieldSpec("count", "number"),
        FieldSpec("lastRequest", "number", bigint=True),
    ),
)
"""Better Auth's ``rateLimit`` table, present when ``rate_limit.storage = "database"``."""


def merge_schema(base: Schema, *extensions: Iterable[TableSpec]) -> dict[str, TableSpec]:
    """Add plugin tables and columns to ``base``.

    A ``TableSpec`` naming an existing table appends its fields (as Better Auth appends plugin
    fields after the core ones); a new name adds a table.

    Raises:
        ConfigurationError: when two sources define the same column.
    """
    merged = dict(base)
    for extension in extensions:
        for table in extension:
            if table.name not in merged:
                merged[table.name] = table
                continue
            current = merged[table.name]
            for spec in table.fields:
                if current.has(spec.name):
                    raise ConfigurationError(f"column {table.name}.{spec.name} is defined twice")
            merged[table.name] = replace(current, fields=current.fields + table.fields)
    return merged


def hidden_fields(table: TableSpec) -> frozenset[str]:
    """Fields never included in responses (``returned: false``)."""
    return frozenset(spec.name for spec in table.fields if not spec.returned)


@dataclass(frozen=True)
class SchemaView:
    """Precomputed per-table facts used on hot paths."""

    tables: dict[str, TableSpec]
    hidden: dict[str, frozenset[str]] = field(default_factory=dict)
    date_fields: frozenset[str] = frozenset()
    """Names of date columns in any table (to revive dates read back from JSON)."""

    @classmethod
    def of(cls, tables: dict[str, TableSpec]) -> SchemaView:
        """Build the view of a merged schema."""
        dates = frozenset(f.name for t in tables.values() for f in t.fields if f.type == "date")
        return cls(tables, {name: hidden_fields(t) for name, t in tables.items()}, dates)
