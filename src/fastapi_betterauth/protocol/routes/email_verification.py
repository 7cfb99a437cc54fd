"""Email verification. Mirrors better-auth/src/api/routes/email-verification.ts."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pydantic import Field, StrictStr

from ...crypto.email_tokens import EmailTokenError, EmailTokenExpiredError, verify_email_token
from ...db.adapter import UniqueViolationError
from ...errors import AuthError, ErrorCode
from ...hooks import run_hook
from ..context import AnyContext, EndpointContext
from ..endpoint import AuthResponse, ErrorDoc, endpoint
from ..redirects import redirect
from ..sessions import start_session
from ..shapes import StatusResponse, VerifyEmailResponse
from ..urls import append_query_params
from ..validation import ZodEmail, is_valid_email
from ._mail import email_token, send_verification_mail, verification_mail_enabled, verify_email_url
from ._shared import WireBody, check_callback_query

TAGS = ("Email verification",)

MINIMUM_ANONYMOUS_SECONDS = 0.5
"""Anonymous requests answer no sooner than this, whatever happened (Better Auth's constant-time floor)."""


class SendVerificationEmailBody(WireBody):
    """Body of ``POST /send-verification-email``."""

    email: ZodEmail
    callback_url: StrictStr = Field("", alias="callbackURL")


@endpoint(
    "POST",
    "/send-verification-email",
    tags=TAGS,
    available=lambda auth: auth.mailer.enabled and auth.settings.email_verification.enabled,
    operation_id="sendVerificationEmail",
    body=SendVerificationEmailBody,
    response=StatusResponse,
    auth="optional",
    errors=(
        ErrorDoc(
            400,
            (ErrorCode.VERIFICATION_EMAIL_NOT_ENABLED, ErrorCode.EMAIL_MISMATCH, ErrorCode.EMAIL_ALREADY_VERIFIED),
        ),
        ErrorDoc(403, (ErrorCode.INVALID_CALLBACK_URL,)),
    ),
)
async def send_verification_email(
    ctx: EndpointContext[SendVerificationEmailBody, None],
) -> StatusResponse | AuthResponse:
    """Send (again) the email verification link.

    Without a session the answer is always ``{"status": true}`` after the same minimum delay, so it
    does not reveal whether the address is registered or already verified.
    """
    body = ctx.body
    if not verification_mail_enabled(ctx):
        raise AuthError(400, ErrorCode.VERIFICATION_EMAIL_NOT_ENABLED)
    found = await ctx.get_session()
    if found is None:
        started = time.monotonic()
        user = await ctx.store.find_user_by_email(body.email)
        if user is not None and not user.get("emailVerified"):
            send_verification_mail(ctx, user, body.callback_url)
        else:
            email_token(ctx, body.email, "")  # the same signing work as a real send
        remaining = MINIMUM_ANONYMOUS_SECONDS - (time.monotonic() - started)
        if remaining > 0:
            await asyncio.sleep(remaining)
        return {"status": True}
    _, user = found
    if str(user["email"]).lower() != body.email.lower():
        raise AuthError(400, ErrorCode.EMAIL_MISMATCH)
    if user.get("emailVerified"):
        raise AuthError(400, ErrorCode.EMAIL_ALREADY_VERIFIED)
    send_verification_mail(ctx, user, body.callback_url)
    return {"status": True}


class VerifyEmailQuery(WireBody):
    """Query of ``GET /verify-email``."""

    token: str
    callback_url: str | None = Field(None, alias="callbackURL")


@endpoint(
    "GET",
    "/verify-email",
    tags=TAGS,
    operation_id="verifyEmail",
    query=VerifyEmailQuery,
    response=VerifyEmailResponse,
    errors=(
        ErrorDoc(
            401,
            (ErrorCode.INVALID_TOKEN, ErrorCode.TOKEN_EXPIRED, ErrorCode.USER_NOT_FOUND, ErrorCode.INVALID_USER),
            "Without callbackURL; with one, a 302 to it with ?error=<code>",
        ),
        ErrorDoc(403, (ErrorCode.INVALID_CALLBACK_URL,)),
    ),
)
async def verify_email(ctx: EndpointContext[None, VerifyEmailQuery]) -> VerifyEmailResponse | AuthResponse:
    """Verify an email address (or complete an email change) from the link in the mail.

    Redirects to ``callbackURL`` when one is given, with ``?error=<code>`` on failure; otherwise
    answers JSON (401 on failure).
    """
    query = ctx.query
    answer = _LinkAnswer(check_callback_query(ctx, query.callback_url))

    try:
        claims = verify_email_token(query.token, ctx.auth.secrets)
    except EmailTokenExpiredError:
        return answer.failure(ErrorCode.TOKEN_EXPIRED)
    except EmailTokenError:
        return answer.failure(ErrorCode.INVALID_TOKEN)
    email = claims["email"]
    if not is_valid_email(email):
        return answer.failure(ErrorCode.INVALID_TOKEN)

    if claims.get("updateTo"):
        return await _change_email(ctx, claims, answer)

    user = await ctx.store.find_user_by_email(email)
    if user is None:
        return answer.failure(ErrorCode.USER_NOT_FOUND)
    if claims.get("userId") and claims["userId"] != user["id"]:
        return answer.failure(ErrorCode.INVALID_TOKEN)
    if user.get("emailVerified"):
        return answer.success({"status": True, "user": None})
    await run_hook(ctx.auth.hooks.before_email_verification, user)
    updated = await ctx.store.update_user(user["id"], {"emailVerified": True}) or {**user, "emailVerified": True}
    ctx.audit("email_verified", subject_id=user["id"])
    await run_hook(ctx.auth.hooks.after_email_verification, updated)
    if ctx.auth.settings.email_verification.auto_sign_in_after_verification:
        current = await ctx.get_session()
        if current is None or current[1]["email"] != email:
            await start_session(ctx, updated, remember=True)
        else:
            ctx.set_session_cookie(current[0], {**current[1], "emailVerified": True})
    return answer.success({"status": True, "user": None})


class _LinkAnswer:
    """How verify-email answers: a redirect to the checked ``callbackURL`` when there is one, else JSON."""

    def __init__(self, callback: str | None) -> None:
        self.callback = callback

    def failure(self, code: ErrorCode) -> AuthResponse:
        """A redirect with ``?error=<code>``.

        Raises:
            AuthError: 401 ``code`` when there is no callback.
        """
        if not self.callback:
            raise AuthError(401, code)
        return redirect(append_query_params(self.callback, {"error": code.value}))

    def success(self, body: VerifyEmailResponse) -> VerifyEmailResponse | AuthResponse:
        """A redirect to the callback, or ``body``."""
        return redirect(self.callback) if self.callback else body


async def _change_email(
    ctx: EndpointContext[None, VerifyEmailQuery], claims: dict[str, Any], answer: _LinkAnswer
) -> VerifyEmailResponse | AuthResponse:
    """The change-email branches of verify-email (confirming the change, then verifying the new address)."""
    callback = answer.callback
    user_id = claims.get("userId")
    if not user_id:
        return answer.failure(ErrorCode.INVALID_TOKEN)
    user = await ctx.store.find_user_by_id(user_id)
    if user is None:
        return answer.failure(ErrorCode.USER_NOT_FOUND)
    if str(user["email"]).lower() != claims["email"]:
        return answer.failure(ErrorCode.INVALID_TOKEN)
    current = await ctx.get_session()
    if current is not None and current[1]["id"] != user["id"]:
        return answer.failure(ErrorCode.INVALID_USER)
    new_email = str(claims["updateTo"])
    request_type = claims.get("requestType")

    if request_type == "change-email-confirmation":
        # The owner confirmed from the old address: now prove the new one.
        token = email_token(
            ctx, claims["email"], user["id"], update_to=new_email, request_type="change-email-verification"
        )
        if verification_mail_enabled(ctx):
            ctx.auth.mailer.send(
                "change-email-verification",
                to=new_email,
                url=verify_email_url(ctx, token, callback),
                token=token,
                name=user.get("name") or "",
                new_email=new_email,
            )
        return answer.success({"status": True})

    if request_type == "change-email-verification":
        verified = bool(user.get("emailVerified"))
        updated = await _set_email(ctx, user, new_email, verified)
        if updated is None:
            return answer.failure(ErrorCode.INVALID_TOKEN)
        if verified:
            await run_hook(ctx.auth.hooks.after_email_verification, updated)
        return answer.success({"status": True, "user": ctx.auth.public_user(updated)})

    # Legacy tokens without a request type: switch at once, unverified, and verify the new address.
    updated = await _set_email(ctx, user, new_email, False)
    if updated is None:
        return answer.failure(ErrorCode.INVALID_TOKEN)
    send_verification_mail(ctx, updated, callback)
    return answer.success({"status": True, "user": ctx.auth.public_user(updated)})


async def _set_email(ctx: AnyContext, user: dict[str, Any], new_email: str, verified: bool) -> dict[str, Any] | None:
    """Switch the email (``None`` if another account took the address meanwhile) and refresh the cookie."""
    try:
        updated = await ctx.store.update_user(user["id"], {"email": new_email, "emailVerified": verified})
    except UniqueViolationError:
        return None
    if updated is None:
        return None
    ctx.audit("email_changed", subject_id=user["id"])
    current = await ctx.get_session()
    if current is not None:
        ctx.set_session_cookie(current[0], {**current[1], "email": new_email, "emailVerified": verified})
    return updated
