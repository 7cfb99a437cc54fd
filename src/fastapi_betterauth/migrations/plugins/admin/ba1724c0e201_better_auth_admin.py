"""admin plugin: user.role, banned, banReason, banExpires and session.impersonatedBy.

Revision ID: ba1724c0e201
Revises:
Create Date: 2026-11-22 00:00:00

Its own branch (``better_auth_admin``), depending on the core tables: ``fastapi-betterauth migrate
--plugin admin`` or ``alembic upgrade better_auth_admin@head``. Better Auth 1.7.24's columns
(PostgreSQL): ``"role" text, "banned" boolean, "banReason" text, "banExpires" timestamptz`` on ``user`` and
``"impersonatedBy" text`` on ``session``, all nullable; SQLite declares ``integer`` and ``date``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import UserDefinedType

revision: str = "ba1724c0e201"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("better_auth_admin",)
depends_on: str | Sequence[str] | None = "ba1724c0e001"


class _SQLiteDate(UserDefinedType[datetime]):
    """SQLite's declared type ``date`` (ISO-8601 text), as Better Auth's generator writes it."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "date"


def upgrade() -> None:
    sqlite = op.get_context().dialect.name == "sqlite"
    date: Any = _SQLiteDate() if sqlite else postgresql.TIMESTAMP(timezone=True)
    boolean: Any = sa.Integer() if sqlite else sa.Boolean()
    op.add_column("user", sa.Column("role", sa.Text(), nullable=True))
    op.add_column("user", sa.Column("banned", boolean, nullable=True))
    op.add_column("user", sa.Column("banReason", sa.Text(), nullable=True))
    op.add_column("user", sa.Column("banExpires", date, nullable=True))
    op.add_column("session", sa.Column("impersonatedBy", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("session") as batch:
        batch.drop_column("impersonatedBy")
    with op.batch_alter_table("user") as batch:
        for column in ("banExpires", "banReason", "banned", "role"):
            batch.drop_column(column)
