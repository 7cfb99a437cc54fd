"""jwt plugin: the jwks table.

Revision ID: ba1724c0e101
Revises:
Create Date: 2026-11-22 00:00:00

Its own branch (``better_auth_jwt``), applied only by apps that use the jwt plugin:
``fastapi-betterauth migrate --plugin jwt`` or ``alembic upgrade better_auth_jwt@head``. The DDL is
Better Auth 1.7.24's (PostgreSQL): ``create table "jwks" ("id" text not null primary key,
"publicKey" text not null, "privateKey" text not null, "createdAt" timestamptz not null, "expiresAt"
timestamptz, "alg" text, "crv" text)``; SQLite declares the dates as ``date``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import UserDefinedType

revision: str = "ba1724c0e101"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("better_auth_jwt",)
depends_on: str | Sequence[str] | None = None


class _SQLiteDate(UserDefinedType[datetime]):
    """SQLite's declared type ``date`` (ISO-8601 text), as Better Auth's generator writes it."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "date"


def upgrade() -> None:
    sqlite = op.get_context().dialect.name == "sqlite"
    date: Any = _SQLiteDate() if sqlite else postgresql.TIMESTAMP(timezone=True)
    op.create_table(
        "jwks",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("publicKey", sa.Text(), nullable=False),
        sa.Column("privateKey", sa.Text(), nullable=False),
        sa.Column("createdAt", date, nullable=False),
        sa.Column("expiresAt", date, nullable=True),
        sa.Column("alg", sa.Text(), nullable=True),
        sa.Column("crv", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="jwks_pkey"),
    )


def downgrade() -> None:
    op.drop_table("jwks")
