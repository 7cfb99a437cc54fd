"""A user's sessions, for admins: list, revoke one, revoke all.

Mirrors the session routes of better-auth/src/plugins/admin/routes.ts.
"""

from __future__ import annotations

from pydantic import Field, StrictStr

from ...errors import AuthError, ErrorCode
from ...protocol.context import EndpointContext
from ...protocol.endpoint import AuthResponse, ErrorDoc, endpoint
from ...protocol.routes._shared import WireBody
from ...protocol.shapes import SessionsResponse, SuccessResponse
from .guards import NO_SESSION, TAGS, UserIdBody, acting, admin_errors, may_act_as

REVOKE_DENIED = ErrorDoc(403, (ErrorCode.YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS,))


@endpoint(
    "POST",
    "/admin/list-user-sessions",
    operation_id="adminListUserSessions",
    body=UserIdBody,
    response=SessionsResponse,
    tags=TAGS,
    errors=admin_errors(ErrorCode.YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS),
)
async def list_user_sessions(ctx: EndpointContext[UserIdBody, None]) -> SessionsResponse | AuthResponse:
    """A user's sessions, tokens included (expired ones too, as Better Auth).

    Another admin's sessions need the ``impersonate-admins`` permission: their tokens sign in as them.
    """
    body = ctx.body
    admin_user = await acting(ctx, {"session": ["list"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS)
    listed = await ctx.store.find_user_by_id(body.user_id)
    if listed is not None and not may_act_as(ctx.auth, admin_user, listed):
        # The answer carries live session tokens: for an admin, as good as impersonating them.
        raise AuthError(403, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS)
    rows = await ctx.store.list_sessions(body.user_id, active_only=False)
    return {"sessions": [ctx.auth.public_session(r) for r in rows]}


class SessionTokenBody(WireBody):
    """Body of ``POST /admin/revoke-user-session``."""

    session_token: StrictStr = Field(alias="sessionToken")


@endpoint(
    "POST",
    "/admin/revoke-user-session",
    operation_id="revokeUserSession",
    body=SessionTokenBody,
    response=SuccessResponse,
    tags=TAGS,
    errors=(NO_SESSION, REVOKE_DENIED),
)
async def revoke_user_session(ctx: EndpointContext[SessionTokenBody, None]) -> SuccessResponse | AuthResponse:
    """Revoke one session by token."""
    body = ctx.body
    admin_user = await acting(ctx, {"session": ["revoke"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS)
    found = await ctx.store.find_session(body.session_token)
    await ctx.store.delete_session(body.session_token)
    if found is not None:
        ctx.audit("session_revoked", subject_id=found[0]["userId"], actor_id=admin_user["id"], reason="one")
    return {"success": True}


@endpoint(
    "POST",
    "/admin/revoke-user-sessions",
    operation_id="revokeUserSessions",
    body=UserIdBody,
    response=SuccessResponse,
    tags=TAGS,
    errors=(NO_SESSION, REVOKE_DENIED),
)
async def revoke_user_sessions(ctx: EndpointContext[UserIdBody, None]) -> SuccessResponse | AuthResponse:
    """Revoke every session of a user."""
    body = ctx.body
    admin_user = await acting(ctx, {"session": ["revoke"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS)
    await ctx.store.delete_sessions(body.user_id)
    ctx.audit("session_revoked", subject_id=body.user_id, actor_id=admin_user["id"], reason="all")
    return {"success": True}
