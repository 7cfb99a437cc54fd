"""Session routes. Mirrors packages/better-auth/src/api/routes/session.ts.

``getSession``, ``listSessions``, ``revokeSession``, ``revokeSessions``, ``revokeOtherSessions``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from pydantic import BaseModel, Field

from ..._dates import now
from ...db.adapter import Row
from ...errors import AuthError, ErrorCode
from ..context import AnyContext, EndpointContext
from ..endpoint import AuthResponse, ErrorDoc, endpoint, nullable
from ..shapes import SessionOut, SessionResponse, StatusResponse, UserOut
from ._shared import WireBody

TAGS = ("Sessions",)

_NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]


class GetSessionQuery(BaseModel):
    """Query of ``GET /get-session``: any non-empty value means true (zod ``coerce.boolean``)."""

    disable_cookie_cache: str | list[str] | None = Field(None, alias="disableCookieCache")
    disable_refresh: str | list[str] | None = Field(None, alias="disableRefresh")


def _flag(value: str | list[str] | None) -> bool:
    if isinstance(value, list):
        value = value[0] if value else None
    return bool(value)


def _needs_refresh(ctx: AnyContext, session: Row) -> bool:
    settings = ctx.auth.settings.session
    # Refresh when the last refresh (or creation) is at least update_age ago.
    last_refresh: datetime = session["expiresAt"] - timedelta(seconds=settings.expires_in)
    return last_refresh + timedelta(seconds=settings.update_age) <= now()


async def _refresh(ctx: EndpointContext[Any, Any], session: Row, user: Row) -> Row:
    t = now()
    expires_at = t + timedelta(seconds=ctx.auth.settings.session.expires_in)
    updated = await ctx.store.update_session(session["token"], {"expiresAt": expires_at, "updatedAt": t})
    if updated is None:  # revoked concurrently
        raise AuthError(401, ErrorCode.FAILED_TO_GET_SESSION)
    ctx.replace_session(updated, user)
    ctx.set_session_cookie(updated, user, remember=True)
    return updated


async def _current(
    ctx: EndpointContext[Any, Any], *, allow_refresh: bool, defer: bool, use_cache: bool
) -> AuthResponse:
    settings = ctx.auth.settings.session
    cookies = ctx.auth.cookies
    if use_cache and settings.cookie_cache.enabled:
        cached = ctx.cached_session()
        if cached is not None:
            # A valid cache cookie answers without the database, and never refreshes.
            answer: SessionResponse = {"session": cast(SessionOut, cached[0]), "user": cast(UserOut, cached[1])}
            return AuthResponse(body=answer, headers=list(_NO_STORE))
    if cookies.session_data in ctx.cookies:
        # Disabled, bypassed, stale or tampered: the cache cookie must not linger.
        ctx.set_cookie(cookies.expire(cookies.session_data))
    found = await ctx.get_session()
    if found is None:
        return AuthResponse(body=None, headers=list(_NO_STORE))
    session, user = found
    refreshable = allow_refresh and not settings.disable_session_refresh and ctx.is_remembered()
    needs_refresh = refreshable and _needs_refresh(ctx, session)
    if needs_refresh and not defer:
        session = await _refresh(ctx, session, user)
    elif settings.cookie_cache.enabled:
        ctx.set_cookie_cache(session, user, remember=ctx.is_remembered())
    body: SessionResponse = {"session": ctx.auth.public_session(session), "user": ctx.auth.public_user(user)}
    if defer:
        body["needsRefresh"] = needs_refresh
    return AuthResponse(body=body, headers=list(_NO_STORE))


@endpoint(
    "GET",
    "/get-session",
    tags=TAGS,
    operation_id="getSession",
    query=GetSessionQuery,
    response=nullable(SessionResponse),
    auth="optional",
)
async def get_session(ctx: EndpointContext[None, GetSessionQuery]) -> SessionResponse | AuthResponse | None:
    """The current session and user, or ``null``.

    Slides the session expiry when the last refresh is older than ``session.update_age``.
    """
    query = ctx.query
    defer = ctx.auth.settings.session.defer_session_refresh
    return await _current(
        ctx,
        allow_refresh=not _flag(query.disable_refresh),
        defer=defer,
        use_cache=not _flag(query.disable_cookie_cache),
    )


class GetSessionPostBody(WireBody):
    """Body of ``POST /get-session`` (``{}``)."""


@endpoint(
    "POST",
    "/get-session",
    tags=TAGS,
    available=lambda auth: auth.settings.session.defer_session_refresh,
    operation_id="getSessionPost",
    body=GetSessionPostBody,
    read_body=False,
    response=nullable(SessionResponse),
    auth="optional",
    errors=(ErrorDoc(405, (ErrorCode.METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED,)),),
)
async def get_session_post(ctx: EndpointContext[GetSessionPostBody, None]) -> SessionResponse | AuthResponse | None:
    """Refresh the session (only with ``session.defer_session_refresh``)."""
    if not ctx.auth.settings.session.defer_session_refresh:
        raise AuthError(405, ErrorCode.METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED, headers=dict(_NO_STORE))
    return await _current(ctx, allow_refresh=True, defer=False, use_cache=False)


@endpoint(
    "GET",
    "/list-sessions",
    tags=TAGS,
    operation_id="listUserSessions",
    response=list[SessionOut],
    auth="fresh",
    errors=(ErrorDoc(403, (ErrorCode.SESSION_NOT_FRESH,)),),
)
async def list_sessions(ctx: EndpointContext[None, None]) -> list[SessionOut] | AuthResponse:
    """Every unexpired session of the current user, tokens included."""
    _, user = await ctx.require_session()
    sessions = await ctx.store.list_sessions(user["id"])
    return [ctx.auth.public_session(s) for s in sessions if not s.get("impersonatedBy")]


class RevokeSessionBody(WireBody):
    """Body of ``POST /revoke-session``."""

    token: str


@endpoint(
    "POST",
    "/revoke-session",
    tags=TAGS,
    operation_id="revokeSession",
    body=RevokeSessionBody,
    response=StatusResponse,
    auth="sensitive",
)
async def revoke_session(ctx: EndpointContext[RevokeSessionBody, None]) -> StatusResponse | AuthResponse:
    """Revoke one of the current user's sessions by token (always ``{"status": true}``)."""
    body = ctx.body
    current, user = await ctx.require_session()
    if await ctx.store.delete_user_session(user["id"], body.token):
        ctx.audit("session_revoked", subject_id=user["id"], reason="one")
    if body.token == current["token"]:
        ctx.cookies_out.extend(ctx.auth.cookies.expire_session())
    return {"status": True}


@endpoint(
    "POST",
    "/revoke-sessions",
    tags=TAGS,
    operation_id="revokeSessions",
    response=StatusResponse,
    auth="sensitive",
)
async def revoke_sessions(ctx: EndpointContext[None, None]) -> StatusResponse | AuthResponse:
    """Revoke every session of the current user, this one included."""
    _, user = await ctx.require_session()
    await ctx.store.delete_sessions(user["id"])
    ctx.audit("session_revoked", subject_id=user["id"], reason="all")
    ctx.cookies_out.extend(ctx.auth.cookies.expire_session())
    return {"status": True}


@endpoint(
    "POST",
    "/revoke-other-sessions",
    tags=TAGS,
    operation_id="revokeOtherSessions",
    response=StatusResponse,
    auth="sensitive",
)
async def revoke_other_sessions(ctx: EndpointContext[None, None]) -> StatusResponse | AuthResponse:
    """Revoke every session of the current user except this one."""
    current, user = await ctx.require_session()
    await ctx.store.delete_sessions(user["id"], except_tokens=[current["token"]])
    ctx.audit("session_revoked", subject_id=user["id"], reason="others")
    return {"status": True}
