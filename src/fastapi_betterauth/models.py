"""Typed views of Better Auth's rows, for FastAPI dependencies and OpenAPI.

Wire and database names are camelCase (``emailVerified``); Python attributes are snake_case.
``extra="allow"`` lets plugin columns (``role``, ``banned``) ride along without type parameters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    GetJsonSchemaHandler,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    model_serializer,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from ._dates import to_iso

IsoDatetime = Annotated[datetime, PlainSerializer(to_iso, return_type=str, when_used="json")]
"""A datetime serialised as JS ``toISOString()`` (what the Better Auth client parses back into a Date)."""


class WireModel(BaseModel):
    """Base of every model that crosses the wire: camelCase aliases, snake_case attributes."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


_ADMIN_FIELDS = {"role": "role", "banned": "banned", "ban_reason": "banReason", "ban_expires": "banExpires"}


class User(WireModel):
    """A row of the ``user`` table (fields with ``returned: false`` are never included).

    ``role``, ``banned``, ``ban_reason`` and ``ban_expires`` are the admin plugin's columns: typed here so
    ``user.role`` type-checks, ``None`` without the plugin, and left out of the JSON unless the row had
    them (so a user without the plugin serialises exactly as Better Auth's does).
    """

    id: str
    name: str
    email: str
    email_verified: bool
    image: str | None = None
    created_at: IsoDatetime
    updated_at: IsoDatetime
    role: str | None = None
    """Comma-separated roles (``"user"``, ``"admin"``, ``"admin,support"``) with the admin plugin."""
    banned: bool | None = None
    ban_reason: str | None = None
    ban_expires: IsoDatetime | None = None

    @property
    def roles(self) -> tuple[str, ...]:
        """``role`` split on commas, as the admin plugin reads it; ``()`` without the plugin."""
        return tuple(r.strip() for r in (self.role or "").split(",") if r.strip())

    @model_serializer(mode="wrap")
    def _leave_out_absent_plugin_fields(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            for name, alias in _ADMIN_FIELDS.items():
                if name not in self.model_fields_set:
                    data.pop(name, None)
                    data.pop(alias, None)
        return data

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        # The serializer above only leaves keys out, so the documented shape is the fields' own; without
        # this the wrap serializer's ``Any`` would blank the model in OpenAPI's response schemas.
        return handler({**core_schema, "serialization": None} if "serialization" in core_schema else core_schema)


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
