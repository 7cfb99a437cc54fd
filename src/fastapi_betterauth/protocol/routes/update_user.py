"""Profile update. Mirrors packages/better-auth/src/api/routes/update-user.ts (updateUser)."""

from __future__ import annotations

from typing import ClassVar

from ...errors import AuthError, ErrorCode
from ..context import EndpointContext
from ..endpoint import AuthResponse, ErrorDoc, endpoint
from ..shapes import StatusResponse
from ._shared import WireBody, user_input

TAGS = ("Account",)


class UpdateUserBody(WireBody):
    """Body of ``POST /update-user``: ``name``, ``image`` and additional user fields."""

    user_fields: ClassVar[bool] = True

    body_required: ClassVar[bool] = True
    wire_type: ClassVar[str] = "record"
    needs_a_field: ClassVar[bool] = True

    # Optional but not nullable (zod .optional()): an explicit null is a validation error.
    name: str = None  # type: ignore[assignment]
    image: str | None = None


@endpoint(
    "POST",
    "/update-user",
    tags=TAGS,
    operation_id="updateUser",
    body=UpdateUserBody,
    response=StatusResponse,
    auth="session",
    errors=(
        ErrorDoc(400, (ErrorCode.EMAIL_CAN_NOT_BE_UPDATED, ErrorCode.FIELD_NOT_ALLOWED), "or `No fields to update`"),
    ),
)
async def update_user(ctx: EndpointContext[UpdateUserBody, None]) -> StatusResponse | AuthResponse:
    """Update the current user's name, image or additional fields, and re-issue the session cookie."""
    raw = ctx.request.body if isinstance(ctx.request.body, dict) else {}
    if raw.get("email"):
        raise AuthError(400, ErrorCode.EMAIL_CAN_NOT_BE_UPDATED)
    body = ctx.body
    values = user_input(ctx, body.model_extra or {}, action="update")
    if "name" in raw:
        values["name"] = body.name
    if "image" in raw:
        values["image"] = body.image
    if not values:
        raise AuthError(400, None, "No fields to update")
    session, _ = await ctx.require_session()
    user = await ctx.store.update_user(session["userId"], values)
    if user is None:
        raise AuthError(404, ErrorCode.USER_NOT_FOUND)
    ctx.replace_session(session, user)
    ctx.set_session_cookie(session, user)
    return {"status": True}
