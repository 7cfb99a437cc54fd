"""Audit trail: the auth_event table (``AuditTrail(store=True)``).

Revision ID: ba1724c0e301
Revises:
Create Date: 2026-11-22 00:00:00

Its own branch (``better_auth_audit``): ``fastapi-betterauth migrate --plugin audit``. This table is this
library's own (Better Auth has none); its DDL matches ``create_schema()`` for ``AUDIT_TABLE``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import UserDefinedType

revision: str = "ba1724c0e301"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("better_auth_audit",)
depends_on: str | Sequence[str] | None = None


class _SQLiteDate(UserDefinedType[datetime]):
    """SQLite's declared type ``date`` (ISO-8601 text), as for Better Auth's own tables."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "date"


def upgrade() -> None:
    sqlite = op.get_context().dialect.name == "sqlite"
    date: Any = _SQLiteDate() if sqlite else postgresql.TIMESTAMP(timezone=True)
    op.create_table(
        "auth_event",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("createdAt", date, nullable=False),
        sa.Column("actorId", sa.Text(), nullable=True),
        sa.Column("subjectId", sa.Text(), nullable=True),
        sa.Column("ipAddress", sa.Text(), nullable=True),
        sa.Column("userAgent", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="auth_event_pkey"),
    )
    op.create_index("auth_event_type_idx", "auth_event", ["type"])
    op.create_index("auth_event_createdAt_idx", "auth_event", ["createdAt"])
    op.create_index("auth_event_subjectId_idx", "auth_event", ["subjectId"])


def downgrade() -> None:
    op.drop_table("auth_event")
