"""``GET /admin/list-auth-events``: the stored audit trail, filtered and paginated (this library's own route)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from pydantic import Field
from typing_extensions import TypedDict

from ._dates import parse_iso
from .errors import AuthError, ErrorCode
from .protocol.context import EndpointContext
from .protocol.endpoint import AuthResponse, ErrorDoc, endpoint
from .protocol.routes._shared import WireBody


class ListAuthEventsQuery(WireBody):
    """Filters: event ``type``, ``subjectId``, ``actorId``, ISO ``since``/``until``; newest first."""

    type: str | None = None
    subject_id: str | None = Field(None, alias="subjectId")
    actor_id: str | None = Field(None, alias="actorId")
    since: str | None = None
    until: str | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


class AuthEventOut(TypedDict):
    """One event as listed."""

    id: str
    type: str
    createdAt: datetime
    actorId: str | None
    subjectId: str | None
    ipAddress: str | None
    userAgent: str | None
    reason: str | None


class ListAuthEventsResponse(TypedDict):
    """A page of events and how many match."""

    events: list[AuthEventOut]
    total: int


@endpoint(
    "GET",
    "/admin/list-auth-events",
    operation_id="listAuthEvents",
    query=ListAuthEventsQuery,
    response=ListAuthEventsResponse,
    tags=("Admin",),
    errors=(
        ErrorDoc(401, (), "No session (an empty body)", empty=True),
        ErrorDoc(403, (ErrorCode.YOU_ARE_NOT_ALLOWED_TO_LIST_USERS,)),
    ),
)
async def list_auth_events(ctx: EndpointContext[None, ListAuthEventsQuery]) -> ListAuthEventsResponse | AuthResponse:
    """The audit trail (needs the ``user:list`` permission of the admin plugin's roles)."""
    from .plugins.admin import admin_options
    from .plugins.admin.access import has_permission

    query = ctx.query
    found = await ctx.get_session(use_cache=False)
    if found is None:
        raise AuthError(401)
    _, user = found
    access = admin_options(ctx.auth)
    if not has_permission(
        user_id=user["id"],
        role=user.get("role"),
        permissions={"user": ["list"]},
        roles=access.roles,
        admin_user_ids=access.admin_user_ids,
        default_role=access.default_role,
    ):
        raise AuthError(403, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_LIST_USERS)
    try:
        since = parse_iso(query.since) if query.since else None
        until = parse_iso(query.until) if query.until else None
    except ValueError:
        raise AuthError(400, ErrorCode.VALIDATION_ERROR, "[query] since/until must be ISO-8601 dates") from None
    rows, total = await ctx.store.list_auth_events(
        type=query.type,
        subject_id=query.subject_id,
        actor_id=query.actor_id,
        since=since,
        until=until,
        limit=query.limit,
        offset=query.offset,
    )
    return {"events": cast(list[AuthEventOut], rows), "total": total}
