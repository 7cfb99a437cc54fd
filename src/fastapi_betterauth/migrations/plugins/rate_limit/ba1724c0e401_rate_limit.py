"""Rate limits in the database: Better Auth's rateLimit table (``rate_limit.storage = "database"``).

Revision ID: ba1724c0e401
Revises:
Create Date: 2026-12-01 00:00:00

Its own branch (``better_auth_rate_limit``): ``fastapi-betterauth migrate --plugin rate-limit``. The DDL is
Better Auth 1.7.24's for ``rateLimit`` (``key`` text unique, ``count`` integer, ``lastRequest`` bigint),
so a TypeScript server with ``rateLimit.storage: "database"`` shares the table.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ba1724c0e401"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("better_auth_rate_limit",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rateLimit",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("lastRequest", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="rateLimit_pkey"),
        sa.UniqueConstraint("key", name="rateLimit_key_key"),
    )


def downgrade() -> None:
    op.drop_table("rateLimit")
