"""Links mailed by the account flows: built exactly as Better Auth builds them."""

from __future__ import annotations

from ...crypto.email_tokens import create_email_token
from ...crypto.signing import encode_uri_component
from ...db.adapter import Row
from ..context import AnyContext


def verification_mail_enabled(ctx: AnyContext) -> bool:
    """Whether verification mails can be sent (Better Auth: ``emailVerification.sendVerificationEmail`` is set)."""
    return ctx.auth.mailer.enabled and ctx.auth.settings.email_verification.enabled


def verify_email_url(ctx: AnyContext, token: str, callback_url: str | None) -> str:
    """``<baseURL>/verify-email?token=<jwt>&callbackURL=<encodeURIComponent(callbackURL or "/")>``."""
    callback = encode_uri_component(callback_url or "/")
    return f"{ctx.auth.base_url(ctx.request)}/verify-email?token={token}&callbackURL={callback}"


def email_token(
    ctx: AnyContext,
    email: str,
    user_id: str,
    *,
    update_to: str | None = None,
    request_type: str | None = None,
) -> str:
    """A signed verification token for ``email`` (optionally changing it to ``update_to``)."""
    extra = {"userId": user_id} if request_type is None else {"requestType": request_type, "userId": user_id}
    return create_email_token(
        ctx.auth.secret,
        email,
        update_to=update_to,
        expires_in=ctx.auth.settings.email_verification.expires_in,
        extra=extra,
    )


def send_verification_mail(ctx: AnyContext, user: Row, callback_url: str | None) -> None:
    """Mail a verification link for the user's current email (Better Auth ``sendVerificationEmailFn``)."""
    if not verification_mail_enabled(ctx):
        return
    token = email_token(ctx, user["email"], user["id"])
    ctx.auth.mailer.send(
        "verification",
        to=user["email"],
        url=verify_email_url(ctx, token, callback_url),
        token=token,
        name=user.get("name") or "",
    )
