"""Impersonation: an admin signs in as a user for a while, then comes back.

Mirrors ``impersonateUser`` / ``stopImpersonating`` of better-auth/src/plugins/admin/routes.ts.
"""

from __future__ import annotations

from typing_extensions import TypedDict

from ...errors import AuthError, ErrorCode
from ...protocol.context import EndpointContext
from ...protocol.endpoint import AuthResponse, ErrorDoc, endpoint
from ...protocol.sessions import start_session, use_session
from ...protocol.shapes import SessionOut, UserOut
from .guards import NO_SESSION, TAGS, UserIdBody, acting, admin_errors, is_admin, may_act_as_admins, target
from .options import admin_options


class ImpersonationResponse(TypedDict):
    """The session now in use (the impersonation's, or the admin's own again) and its user."""

    session: SessionOut
    user: UserOut


@endpoint(
    "POST",
    "/admin/impersonate-user",
    operation_id="impersonateUser",
    body=UserIdBody,
    response=ImpersonationResponse,
    tags=TAGS,
    errors=admin_errors(
        (ErrorCode.YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS, ErrorCode.YOU_CANNOT_IMPERSONATE_ADMINS), on_a_user=True
    ),
)
async def impersonate_user(ctx: EndpointContext[UserIdBody, None]) -> ImpersonationResponse | AuthResponse:
    """Sign in as another user for ``impersonation_session_duration``; the admin session is kept aside."""
    body = ctx.body
    admin_user = await acting(ctx, {"user": ["impersonate"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS)
    admin_session, _ = await ctx.require_session()
    user = await target(ctx, body.user_id)
    if is_admin(ctx.auth, user) and not may_act_as_admins(ctx.auth, admin_user):
        raise AuthError(403, ErrorCode.YOU_CANNOT_IMPERSONATE_ADMINS)
    cookies = ctx.auth.cookies
    flag = ctx.signed_cookie(cookies.dont_remember) or ""
    # The admin's own session is kept aside in a signed cookie, for stop-impersonating.
    keep_admin = cookies.signed(cookies.admin_session, f"{admin_session['token']}:{flag}", ctx.auth.secret)
    session = await start_session(
        ctx,
        user,
        remember=False,
        expires_in=admin_options(ctx.auth).impersonation_session_duration,
        extra={"impersonatedBy": admin_user["id"]},
        cookies_first=(*cookies.expire_session(), keep_admin),
        audit="impersonation_started",
        actor_id=admin_user["id"],
    )
    return {"session": ctx.auth.public_session(session), "user": ctx.auth.public_user(user)}


@endpoint(
    "POST",
    "/admin/stop-impersonating",
    operation_id="stopImpersonating",
    response=ImpersonationResponse,
    tags=TAGS,
    errors=(
        NO_SESSION,
        ErrorDoc(400, (), "You are not impersonating anyone"),
        ErrorDoc(500, (), "Failed to find admin session"),
    ),
)
async def stop_impersonating(ctx: EndpointContext[None, None]) -> ImpersonationResponse | AuthResponse:
    """End an impersonation: back to the admin's own session."""
    found = await ctx.get_session(use_cache=True)
    if found is None:
        raise AuthError(401)
    session, _ = found
    if not session.get("impersonatedBy"):
        raise AuthError(400, None, "You are not impersonating anyone")
    admin_user = await ctx.store.find_user_by_id(session["impersonatedBy"])
    if admin_user is None:
        raise AuthError(500, None, "Failed to find user")
    cookies = ctx.auth.cookies
    saved = ctx.signed_cookie(cookies.admin_session)
    admin_token, _, flag = (saved or "").partition(":")
    back = await ctx.store.find_session(admin_token) if admin_token else None
    if back is None or back[0]["userId"] != admin_user["id"]:
        raise AuthError(500, None, "Failed to find admin session")
    await ctx.store.delete_session(session["token"])
    ctx.audit("impersonation_stopped", subject_id=session["userId"], actor_id=admin_user["id"])
    use_session(ctx, back[0], back[1], remember=not flag)
    ctx.set_cookie(cookies.expire(cookies.admin_session))
    return {"session": ctx.auth.public_session(back[0]), "user": ctx.auth.public_user(back[1])}
