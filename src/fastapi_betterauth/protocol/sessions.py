"""Starting and resuming sessions: the one place a session is created and its cookies are set.

Sign-in, sign-up, email verification, change-password and impersonation (and social sign-in next)
all call :func:`start_session`; stop-impersonating resumes the admin's session with
:func:`use_session`. Mirrors Better Auth's ``createSession`` + ``setSessionCookie``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..audit import EventType
from ..db.adapter import Row
from .context import AnyContext
from .endpoint import SetCookie

REMEMBER_OFF_EXPIRES_IN = 86400
"""A ``rememberMe: false`` session lasts one day (and its cookie lasts the browser session)."""


async def start_session(
    ctx: AnyContext,
    user: Row,
    *,
    remember: bool,
    expires_in: int | None = None,
    extra: Row | None = None,
    cookies_first: Sequence[SetCookie] = (),
    audit: EventType | None = None,
    actor_id: str | None = None,
) -> Row:
    """Create a session for ``user``, set its cookies, make it current, and record ``audit``.

    Plugins' checks run first and may refuse (a banned user: 403 ``BANNED_USER``); nothing is set
    then. ``rememberMe: false`` gives a one-day session and a browser-session cookie.

    Args:
        ctx: the call.
        user: the user row.
        remember: ``rememberMe``.
        expires_in: lifetime in seconds, instead of ``session.expires_in`` (or one day unremembered).
        extra: additional session columns (``impersonatedBy``).
        cookies_first: cookies that go out before the session's own (impersonation's).
        audit: the event to record for the user, if any.
        actor_id: who acted, when not the user (an impersonating admin).
    """
    if expires_in is None:
        expires_in = ctx.auth.settings.session.expires_in if remember else REMEMBER_OFF_EXPIRES_IN
    session = await ctx.store.create_session(
        user["id"],
        expires_in=expires_in,
        ip_address=ctx.auth.client_ip(ctx.request),
        user_agent=ctx.request.header("user-agent") or "",
        extra=extra,
    )
    ctx.cookies_out.extend(cookies_first)
    use_session(ctx, session, user, remember=remember)
    if audit is not None:
        ctx.audit(audit, subject_id=user["id"], actor_id=actor_id)
    return session


def use_session(ctx: AnyContext, session: Row, user: Row, *, remember: bool) -> None:
    """Make an existing session the current one and set its cookies.

    A remembered session in a browser that still carries ``dont_remember`` expires that marker.
    """
    ctx.set_session_cookie(session, user, remember=remember)
    if remember and ctx.signed_cookie(ctx.auth.cookies.dont_remember) is not None:
        ctx.set_cookie(ctx.auth.cookies.expire(ctx.auth.cookies.dont_remember))
    ctx.replace_session(session, user)
