"""The chat tables and the API's models. The auth tables belong to fastapi-betterauth."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

import sqlalchemy as sa
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

metadata = sa.MetaData()

conversations = sa.Table(
    "conversation",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("user_id", sa.String(255), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    # Agent metadata (generator, retrieval settings, documents cited so far): JSON, as FR-009 asks.
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # Lists are per user, newest activity first; retention scans by age.
    sa.Index("ix_conversation_user_updated", "user_id", "updated_at"),
    sa.Index("ix_conversation_updated", "updated_at"),
)

messages = sa.Table(
    "message",
    metadata,
    # An integer id orders a conversation's messages even when two arrive in the same microsecond.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(36), sa.ForeignKey("conversation.id", ondelete="CASCADE"), nullable=False),
    sa.Column("user_id", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("sources", sa.JSON, nullable=False),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_message_conversation_id", "conversation_id", "id"),
    sa.Index("ix_message_user_id", "user_id"),
)

# SQLite keeps no time zone: times are stored in UTC, so say so in the API (ISO 8601 with an offset).
UTCDateTime = Annotated[datetime, AfterValidator(lambda d: d if d.tzinfo else d.replace(tzinfo=UTC))]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Content = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
T = TypeVar("T")


class ConversationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title = "New conversation"


class ConversationRename(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title


class MessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: Content


class Source(BaseModel):
    """A passage the answer drew on."""

    document_id: str
    title: str
    passage: str
    score: float


class Message(BaseModel):
    id: int
    conversation_id: str
    role: Literal["user", "assistant"]
    content: str
    sources: list[Source]
    metadata: dict[str, Any]
    created_at: UTCDateTime


class Conversation(BaseModel):
    id: str
    title: str
    metadata: dict[str, Any]
    created_at: UTCDateTime
    updated_at: UTCDateTime
    message_count: int = 0
    snippet: str | None = Field(None, description="With `?q=`: where the words were found")


class ConversationDetail(Conversation):
    messages: list[Message]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class Exchange(BaseModel):
    """The stored question and the assistant's stored reply."""

    question: Message
    answer: Message


class Usage(BaseModel):
    """Aggregate figures only: no titles, no message content."""

    users: int
    conversations: int
    messages: int
    messages_by_role: dict[str, int]
    top_sources: list[dict[str, Any]]
