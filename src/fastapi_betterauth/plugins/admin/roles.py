"""Roles and permissions: set a user's role, and ask whether roles allow an action.

Mirrors ``setRole`` and ``userHasPermission`` of better-auth/src/plugins/admin/routes.ts.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ConfigDict, Field, StrictStr, model_validator
from typing_extensions import TypedDict

from ...errors import AuthError, ErrorCode
from ...protocol.context import EndpointContext
from ...protocol.endpoint import AuthResponse, ErrorDoc, endpoint
from ...protocol.routes._shared import WireBody
from ...protocol.shapes import UserResponse
from .guards import NO_SESSION, TAGS, CoercedStr, Roles, acting, admin_errors, allowed, checked_roles, target


class SetRoleBody(WireBody):
    """Body of ``POST /admin/set-role``."""

    user_id: CoercedStr = Field(alias="userId")
    role: Roles


@endpoint(
    "POST",
    "/admin/set-role",
    operation_id="setUserRole",
    body=SetRoleBody,
    response=UserResponse,
    tags=TAGS,
    errors=admin_errors(ErrorCode.YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE, on_a_user=True),
)
async def set_role(ctx: EndpointContext[SetRoleBody, None]) -> UserResponse | AuthResponse:
    """Set a user's role (several roles are stored comma-separated)."""
    body = ctx.body
    admin_user = await acting(ctx, {"user": ["set-role"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE)
    roles = checked_roles(ctx.auth, body.role)
    await target(ctx, body.user_id)
    updated = await ctx.store.update_user(body.user_id, {"role": roles})
    ctx.audit("role_changed", subject_id=body.user_id, actor_id=admin_user["id"], reason=roles)
    return {"user": ctx.auth.public_user(updated or {})}


class HasPermissionBody(WireBody):
    """Body of ``POST /admin/has-permission``: exactly one of ``permissions`` / ``permission`` (zod ``xor``).

    Better Auth accepts the singular form in its schema, then answers that no permission was passed: so
    OpenAPI documents ``permissions`` as the one to send. ``userId`` / ``role`` name whom to check in
    server-side calls without a session.
    """

    model_config = ConfigDict(json_schema_extra={"required": ["permissions"], "not": {"required": ["permission"]}})
    body_required: ClassVar[bool] = True

    # Optional but not nullable (zod's record): an explicit null is a validation error.
    permissions: dict[str, list[StrictStr]] = None  # type: ignore[assignment]
    permission: dict[str, list[StrictStr]] = None  # type: ignore[assignment]
    user_id: CoercedStr | None = Field(None, alias="userId")
    role: StrictStr | None = None

    @model_validator(mode="after")
    def _one_of_the_two(self) -> HasPermissionBody:
        given = sum(1 for name in ("permissions", "permission") if name in self.model_fields_set)
        if given == 0:
            raise ValueError("Invalid input")
        if given == 2:
            raise ValueError("Invalid input: more than one option matched")
        return self


class HasPermissionResponse(TypedDict):
    """``{"error": null, "success": <whether the roles allow it>}``."""

    error: str | None
    success: bool


@endpoint(
    "POST",
    "/admin/has-permission",
    operation_id="userHasPermission",
    body=HasPermissionBody,
    response=HasPermissionResponse,
    tags=TAGS,
    errors=(NO_SESSION, ErrorDoc(400, (), "`invalid permission check. no permission(s) were passed.`")),
)
async def user_has_permission(ctx: EndpointContext[HasPermissionBody, None]) -> HasPermissionResponse | AuthResponse:
    """Whether the signed-in user's roles allow ``permissions`` (``{"resource": ["action"]}``)."""
    body = ctx.body
    if body.permissions is None:  # (an empty object is a permission check, as in JavaScript)
        raise AuthError(400, None, "invalid permission check. no permission(s) were passed.")
    found = await ctx.get_session(use_cache=False)
    user: dict[str, Any] | None
    if found is not None:
        user = found[1]
    elif not ctx.request.server_side:
        raise AuthError(401)
    elif body.role:  # a server-side call asking about a role
        user = {"id": body.user_id or "", "role": body.role}
    elif body.user_id:
        user = await ctx.store.find_user_by_id(body.user_id)
    else:
        raise AuthError(400, None, "user id or role is required")
    if user is None:
        raise AuthError(400, None, "user not found")
    return {"error": None, "success": allowed(ctx.auth, user, body.permissions)}
