"""The app's own table and its API models. The auth tables belong to fastapi-betterauth."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import sqlalchemy as sa
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

metadata = sa.MetaData()

tasks = sa.Table(
    "task",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # Better Auth user ids are text; this table caps them at 255 characters.
    sa.Column("user_id", sa.String(255), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("completed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_task_user_id_id", "user_id", "id"),
)

# SQLite keeps no time zone: times are stored in UTC, so say so in the API (ISO 8601 with an offset).
UTCDateTime = Annotated[datetime, AfterValidator(lambda d: d if d.tzinfo else d.replace(tzinfo=UTC))]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=10_000)]

# PostgreSQL's integer: a larger id can never exist, and must not reach the driver as an overflow.
MAX_TASK_ID = 2**31 - 1


class TaskCreate(BaseModel):
    """What a client sends to create a task."""

    model_config = ConfigDict(extra="forbid", strict=True)

    title: Title
    description: Description | None = None
    completed: bool = False


class TaskUpdate(BaseModel):
    """``PUT``: the fields to change. ``title`` and ``completed`` may be left out but not set to null."""

    model_config = ConfigDict(extra="forbid", strict=True)

    title: Title = Field(None, json_schema_extra={"nullable": False})  # type: ignore[assignment]
    description: Description | None = None
    completed: bool = Field(None, json_schema_extra={"nullable": False})  # type: ignore[assignment]


class Task(BaseModel):
    """A task as the API returns it."""

    id: int
    user_id: str
    title: str
    description: str | None
    completed: bool
    created_at: UTCDateTime
    updated_at: UTCDateTime
