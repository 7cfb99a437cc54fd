"""Account lockouts, for admins: see whether a user is locked out, and lift it.

This library's own routes (Better Auth has no lockout). They need the ``user:ban`` permission: a lock
is a temporary, automatic ban, and lifting one is lifting a ban.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field
from typing_extensions import TypedDict

from ..._dates import to_iso
from ...errors import ErrorCode
from ...protocol.context import EndpointContext
from ...protocol.endpoint import AuthResponse, endpoint
from ...protocol.routes._shared import WireBody
from ...protocol.shapes import SuccessResponse
from .guards import TAGS, UserIdBody, acting, admin_errors, target


class LockoutQuery(WireBody):
    """Query of ``GET /admin/get-lockout``."""

    user_id: str = Field(alias="userId")


class LockOut(TypedDict):
    """One active lock: the whole account (``ipAddress`` null) or one client's access to it."""

    ipAddress: str | None
    lockedUntil: str


class LockoutResponse(TypedDict):
    """``{"locked", "locks"}``."""

    locked: bool
    locks: list[LockOut]


@endpoint(
    "GET",
    "/admin/get-lockout",
    operation_id="getLockout",
    query=LockoutQuery,
    response=LockoutResponse,
    tags=TAGS,
    errors=admin_errors(ErrorCode.YOU_ARE_NOT_ALLOWED_TO_BAN_USERS, on_a_user=True),
)
async def get_lockout(ctx: EndpointContext[None, LockoutQuery]) -> LockoutResponse | AuthResponse:
    """Whether a user's sign-in is locked after wrong passwords, for whom, and until when."""
    await acting(ctx, {"user": ["ban"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_BAN_USERS)
    user = await target(ctx, ctx.query.user_id)
    lockout = ctx.auth.lockout
    locks = await lockout.locks(user["email"]) if lockout is not None else []
    out: list[LockOut] = [
        {"ipAddress": lock.client, "lockedUntil": to_iso(datetime.fromtimestamp(lock.until, UTC))} for lock in locks
    ]
    return {"locked": bool(out), "locks": out}


@endpoint(
    "POST",
    "/admin/clear-lockout",
    operation_id="clearLockout",
    body=UserIdBody,
    response=SuccessResponse,
    tags=TAGS,
    errors=admin_errors(ErrorCode.YOU_ARE_NOT_ALLOWED_TO_BAN_USERS, on_a_user=True),
)
async def clear_lockout(ctx: EndpointContext[UserIdBody, None]) -> SuccessResponse | AuthResponse:
    """Lift every lock on a user's sign-in and reset the failure counts."""
    admin_user = await acting(ctx, {"user": ["ban"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_BAN_USERS)
    user = await target(ctx, ctx.body.user_id)
    if ctx.auth.lockout is not None and await ctx.auth.lockout.clear(user["email"]):
        ctx.audit("account_unlocked", subject_id=user["id"], actor_id=admin_user["id"], reason="admin")
    return {"success": True}
