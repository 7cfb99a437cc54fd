"""Password reset by emailed link. Mirrors better-auth/src/api/routes/password.ts."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, StrictStr

from ...crypto.random import generate_id
from ...crypto.signing import encode_uri_component
from ...db.store import is_expired
from ...errors import AuthError, ErrorCode
from ...hooks import run_hook
from ..context import AnyContext, EndpointContext
from ..endpoint import AuthResponse, ErrorDoc, Redirect, endpoint
from ..redirects import redirect
from ..shapes import RequestPasswordResetResponse, StatusResponse
from ..urls import set_query_params
from ..validation import ZodEmail
from ._shared import PasswordFields, WireBody, check_callback_query, check_new_password

TAGS = ("Password reset",)

RESET_PREFIX = "reset-password:"
GENERIC_MESSAGE = "If this email exists in our system, check your email for the reset link"


class RequestPasswordResetBody(WireBody):
    """Body of ``POST /request-password-reset``."""

    email: ZodEmail
    redirect_to: StrictStr = Field("", alias="redirectTo")


@endpoint(
    "POST",
    "/request-password-reset",
    tags=TAGS,
    available=lambda auth: auth.mailer.enabled and auth.settings.email_and_password.password_reset,
    operation_id="requestPasswordReset",
    body=RequestPasswordResetBody,
    response=RequestPasswordResetResponse,
    errors=(
        ErrorDoc(400, (ErrorCode.RESET_PASSWORD_DISABLED,)),
        ErrorDoc(403, (ErrorCode.INVALID_REDIRECT_URL,)),
    ),
)
async def request_password_reset(
    ctx: EndpointContext[RequestPasswordResetBody, None],
) -> RequestPasswordResetResponse | AuthResponse:
    """Mail a single-use password reset link.

    Unknown addresses get the same answer; for known ones the token is stored and mailed after the
    answer, so neither the body nor the timing tells whether an account exists.
    """
    body = ctx.body
    if not (ctx.auth.mailer.enabled and ctx.auth.settings.email_and_password.password_reset):
        raise AuthError(400, ErrorCode.RESET_PASSWORD_DISABLED)
    user = await ctx.store.find_user_by_email(body.email)
    if user is not None:
        base_url = ctx.auth.base_url(ctx.request)
        ctx.auth.mailer.run_in_background(
            lambda: _issue_reset_token(ctx, user, base_url, body.redirect_to), "password-reset"
        )
    else:
        # Comparable background work, so the load left behind does not differ either.
        ctx.auth.mailer.run_in_background(lambda: _dummy_lookup(ctx), "password-reset")
    return {"status": True, "message": GENERIC_MESSAGE}


async def _dummy_lookup(ctx: AnyContext) -> None:
    await ctx.store.find_verification(RESET_PREFIX + generate_id(24))


async def _issue_reset_token(ctx: AnyContext, user: dict[str, Any], base_url: str, redirect_to: str | None) -> None:
    """Store the token and mail the link: after the answer, so known and unknown emails take the same time."""
    token = generate_id(24)
    expires_in = ctx.auth.settings.email_and_password.reset_password_token_expires_in
    await ctx.store.create_verification(RESET_PREFIX + token, user["id"], expires_in=expires_in)
    callback = encode_uri_component(redirect_to) if redirect_to else ""
    url = f"{base_url}/reset-password/{token}?callbackURL={callback}"
    ctx.auth.mailer.send("reset-password", to=user["email"], url=url, token=token, name=user.get("name") or "")


class ResetPasswordCallbackQuery(WireBody):
    """Query of ``GET /reset-password/{token}``."""

    callback_url: str = Field(alias="callbackURL")


@endpoint(
    "GET",
    "/reset-password/{token}",
    tags=TAGS,
    operation_id="resetPasswordCallback",
    query=ResetPasswordCallbackQuery,
    response=Redirect,
    redirect="To callbackURL with ?token=<token>, or ?error=INVALID_TOKEN when the token is unknown or expired",
    errors=(ErrorDoc(403, (ErrorCode.INVALID_CALLBACK_URL,)),),
)
async def request_password_reset_callback(
    ctx: EndpointContext[None, ResetPasswordCallbackQuery],
) -> Redirect | AuthResponse:
    """Follow the link in the reset mail: 302 to ``callbackURL`` with ``?token=`` (or ``?error=INVALID_TOKEN``).

    The token is not spent here; ``POST /reset-password`` spends it.
    """
    query = ctx.query
    callback = check_callback_query(ctx, query.callback_url)
    base = ctx.auth.base_url(ctx.request)
    token = ctx.request.params.get("token", "")
    if not token or not callback:
        return redirect(set_query_params(f"{base}/error", base, {"error": "INVALID_TOKEN"}))
    # A NUL can never be in a real token, and PostgreSQL refuses it in text: unknown, not a 500.
    row = None if "\x00" in token else await ctx.store.find_verification(RESET_PREFIX + token)
    if row is None or is_expired(row):
        return redirect(set_query_params(callback, base, {"error": "INVALID_TOKEN"}))
    return redirect(set_query_params(callback, base, {"token": token}))


class ResetPasswordQuery(WireBody):
    """Query of ``POST /reset-password`` (the token may come here instead of the body)."""

    token: str | None = None


class ResetPasswordBody(WireBody):
    """Body of ``POST /reset-password``."""

    password_fields: ClassVar[PasswordFields] = {"newPassword": "new"}

    new_password: str = Field(alias="newPassword")
    token: StrictStr = ""


@endpoint(
    "POST",
    "/reset-password",
    tags=TAGS,
    operation_id="resetPassword",
    query=ResetPasswordQuery,
    body=ResetPasswordBody,
    response=StatusResponse,
    errors=(
        ErrorDoc(
            400,
            (
                ErrorCode.INVALID_TOKEN,
                ErrorCode.PASSWORD_TOO_SHORT,
                ErrorCode.PASSWORD_TOO_LONG,
                ErrorCode.PASSWORD_TOO_WEAK,
                ErrorCode.USER_NOT_FOUND,
            ),
        ),
    ),
)
async def reset_password(ctx: EndpointContext[ResetPasswordBody, ResetPasswordQuery]) -> StatusResponse | AuthResponse:
    """Set a new password with the token from the reset link; the token works once.

    Other sessions are revoked when ``revoke_sessions_on_password_reset`` is on.
    """
    body = ctx.body
    token = body.token or (ctx.query.token if ctx.query is not None else None)
    if not token:
        raise AuthError(400, ErrorCode.INVALID_TOKEN)
    check_new_password(ctx, body.new_password)
    identifier = RESET_PREFIX + token
    row = await ctx.store.find_verification(identifier)
    if row is None or is_expired(row):
        raise AuthError(400, ErrorCode.INVALID_TOKEN)
    user = await ctx.store.find_user_by_id(str(row["value"]))
    if user is None:
        raise AuthError(400, ErrorCode.USER_NOT_FOUND)
    password_hash = await ctx.auth.hashing.hash(body.new_password)
    revoke = ctx.auth.settings.email_and_password.revoke_sessions_on_password_reset
    if not await ctx.store.reset_password(identifier, user["id"], password_hash, revoke_sessions=revoke):
        raise AuthError(400, ErrorCode.INVALID_TOKEN)  # spent by a concurrent request
    ctx.audit("password_reset", subject_id=user["id"])
    if ctx.auth.lockout is not None and await ctx.auth.lockout.clear(user["email"]):
        # Proving control of the mailbox ends any lockout: guessing can never lock the owner out for good.
        ctx.audit("account_unlocked", subject_id=user["id"], reason="password_reset")
    await run_hook(ctx.auth.hooks.on_password_reset, user)
    return {"status": True}
