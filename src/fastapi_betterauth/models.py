"""Typed views of Better Auth's rows, for FastAPI dependencies and OpenAPI.

Wire and database names are camelCase (``emailVerified``); Python attributes are snake_case.
``extra="allow"`` lets plugin columns (``role``, ``banned``) ride along without type parameters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel

from ._dates import to_iso

IsoDatetime = Annotated[datetime, PlainSerializer(to_iso, return_type=str, when_used="json")]
"""A datetime serialised as JS ``toISOString()`` (what the Better Auth client parses back into a Date)."""


class WireModel(BaseModel):
    """Base of every model that crosses the wire: camelCase aliases, snake_case attributes."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


class User(WireModel):
    """A row of the ``user`` table (fields with ``returned: false`` are never included)."""

    id: str
    name: str
    email: str
    email_verified: bool
    image: str | None = None
    created_at: IsoDatetime
    updated_at: IsoDatetime


class Session(WireModel):
    """A row of the ``session`` table, including the raw token as Better Auth returns it."""

    id: str
    token: str
    user_id: str
    expires_at: IsoDatetime
    created_at: IsoDatetime
    updated_at: IsoDatetime
    ip_address: str | None = None
    user_agent: str | None = None


class Account(WireModel):
    """A row of the ``account`` table (never serialised with its secrets)."""

    id: str
    account_id: str
    provider_id: str
    user_id: str
    created_at: IsoDatetime
    updated_at: IsoDatetime


class SessionAndUser(WireModel):
    """What ``get-session`` answers and ``current_session`` returns."""

    session: Session
    user: User


class Identity(WireModel):
    """Who is calling and how they proved it: what ``current_user`` is built from.

    ``via`` is ``"cookie"``, ``"bearer"`` (a session token in ``Authorization``) or ``"jwt"``;
    ``session`` is ``None`` for JWT callers, ``claims`` is ``None`` for session callers.
    """

    user: User
    session: Session | None = None
    claims: dict[str, object] | None = None
    via: str = "cookie"
