"""The task table.

Revision ID: todo0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "todo0001"
down_revision = None
branch_labels = ("todo",)
# After Better Auth's core tables (fastapi_betterauth.migrations.CORE_REVISION).
depends_on = "ba1724c0e001"


def upgrade() -> None:
    op.create_table(
        "task",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("completed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_task_user_id_id", "task", ["user_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_task_user_id_id", table_name="task")
    op.drop_table("task")
