"""Session field update. Mirrors packages/better-auth/src/api/routes/update-session.ts (updateSession)."""

from __future__ import annotations

from typing import Any, ClassVar

from ..._dates import now
from ...db.schema import FieldSpec
from ...errors import AuthError, ErrorCode
from ..context import AuthContext, EndpointContext
from ..endpoint import AuthResponse, ErrorDoc, endpoint
from ..fields import typed_value
from ..shapes import SessionOnlyResponse
from ._shared import WireBody

TAGS = ("Sessions",)

CORE_SESSION_FIELDS = frozenset(
    {"id", "token", "userId", "expiresAt", "createdAt", "updatedAt", "ipAddress", "userAgent"}
)


def session_input_fields(auth: AuthContext) -> list[FieldSpec]:
    """The additional session fields requests may set (``input: true``): update-session's whole purpose."""
    return [
        spec for spec in auth.schema.tables["session"].fields if spec.input and spec.name not in CORE_SESSION_FIELDS
    ]


class UpdateSessionBody(WireBody):
    """Additional session fields (``session.additionalFields`` / plugin fields with ``input: true``)."""

    body_required: ClassVar[bool] = True
    wire_type: ClassVar[str] = "record"
    needs_a_field: ClassVar[bool] = True
    session_fields: ClassVar[bool] = True


@endpoint(
    "POST",
    "/update-session",
    tags=TAGS,
    available=lambda auth: bool(session_input_fields(auth)),
    operation_id="updateSession",
    body=UpdateSessionBody,
    response=SessionOnlyResponse,
    auth="session",
    errors=(ErrorDoc(400, (), "`No fields to update`"),),
)
async def update_session(ctx: EndpointContext[UpdateSessionBody, None]) -> SessionOnlyResponse | AuthResponse:
    """Update the current session's additional fields and re-issue the session cookie."""
    body = ctx.body
    table = ctx.auth.schema.tables["session"]
    values: dict[str, Any] = {}
    for key, value in (body.model_extra or {}).items():
        if key in CORE_SESSION_FIELDS or not table.has(key):
            continue
        if not table.field(key).input:
            raise AuthError(400, ErrorCode.FIELD_NOT_ALLOWED, f"{key} is not allowed to be set")
        values[key] = typed_value(table.field(key), value, where="body")
    if not values:
        raise AuthError(400, None, "No fields to update")
    session, user = await ctx.require_session()
    updated = await ctx.store.update_session(session["token"], {**values, "updatedAt": now()})
    if updated is None:
        raise AuthError(401, ErrorCode.FAILED_TO_GET_SESSION)
    ctx.replace_session(updated, user)
    ctx.set_session_cookie(updated, user)
    return {"session": ctx.auth.public_session(updated)}
