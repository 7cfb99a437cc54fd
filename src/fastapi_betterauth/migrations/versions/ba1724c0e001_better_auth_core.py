"""Better Auth core tables: user, session, account, verification.

Revision ID: ba1724c0e001
Revises:
Create Date: 2026-05-01 00:00:00

Frozen copy of the DDL ``SQLAlchemyAdapter.create_schema()`` makes for the core schema, which is
the DDL Better Auth 1.7.24 generates for PostgreSQL and SQLite: PostgreSQL
``text``/``boolean``/``timestamptz`` with ``DEFAULT CURRENT_TIMESTAMP`` on some dates; SQLite
``text``/``integer``/``date`` and no defaults. Constraints carry PostgreSQL's default names, given
explicitly so an application's naming convention cannot rename them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import UserDefinedType

revision: str = "ba1724c0e001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("better_auth",)
depends_on: str | Sequence[str] | None = None


class _SQLiteDate(UserDefinedType[datetime]):
    """SQLite's declared type ``date`` (ISO-8601 text), as Better Auth's generator writes it."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "date"


def upgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"fastapi-betterauth supports SQLite and PostgreSQL, not {dialect}")
    sqlite = dialect == "sqlite"

    def boolean() -> Any:
        return sa.Integer() if sqlite else sa.Boolean()

    def date() -> Any:
        return _SQLiteDate() if sqlite else postgresql.TIMESTAMP(timezone=True)

    def now() -> Any:
        return None if sqlite else sa.text("CURRENT_TIMESTAMP")

    op.create_table(
        "user",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("emailVerified", boolean(), nullable=False),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("createdAt", date(), server_default=now(), nullable=False),
        sa.Column("updatedAt", date(), server_default=now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="user_pkey"),
        sa.UniqueConstraint("email", name="user_email_key"),
    )
    op.create_table(
        "session",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("expiresAt", date(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("createdAt", date(), server_default=now(), nullable=False),
        sa.Column("updatedAt", date(), nullable=False),
        sa.Column("ipAddress", sa.Text(), nullable=True),
        sa.Column("userAgent", sa.Text(), nullable=True),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="session_pkey"),
        sa.UniqueConstraint("token", name="session_token_key"),
        sa.ForeignKeyConstraint(["userId"], ["user.id"], name="session_userId_fkey", ondelete="CASCADE"),
    )
    op.create_index("session_userId_idx", "session", ["userId"])
    op.create_table(
        "account",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("accountId", sa.Text(), nullable=False),
        sa.Column("providerId", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("accessToken", sa.Text(), nullable=True),
        sa.Column("refreshToken", sa.Text(), nullable=True),
        sa.Column("idToken", sa.Text(), nullable=True),
        sa.Column("accessTokenExpiresAt", date(), nullable=True),
        sa.Column("refreshTokenExpiresAt", date(), nullable=True),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("password", sa.Text(), nullable=True),
        sa.Column("createdAt", date(), server_default=now(), nullable=False),
        sa.Column("updatedAt", date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="account_pkey"),
        sa.ForeignKeyConstraint(["userId"], ["user.id"], name="account_userId_fkey", ondelete="CASCADE"),
    )
    op.create_index("account_userId_idx", "account", ["userId"])
    op.create_table(
        "verification",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("identifier", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("expiresAt", date(), nullable=False),
        sa.Column("createdAt", date(), server_default=now(), nullable=False),
        sa.Column("updatedAt", date(), server_default=now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="verification_pkey"),
    )
    op.create_index("verification_identifier_idx", "verification", ["identifier"])


def downgrade() -> None:
    op.drop_index("verification_identifier_idx", table_name="verification")
    op.drop_table("verification")
    op.drop_index("account_userId_idx", table_name="account")
    op.drop_table("account")
    op.drop_index("session_userId_idx", table_name="session")
    op.drop_table("session")
    op.drop_table("user")
