"""Email change by a signed-in user. Mirrors better-auth/src/api/routes/update-user.ts (changeEmail)."""

from __future__ import annotations

from pydantic import Field, StrictStr

from ...db.adapter import UniqueViolationError
from ...errors import AuthError, ErrorCode
from ..context import EndpointContext
from ..endpoint import AuthResponse, ErrorDoc, endpoint
from ..shapes import StatusResponse
from ..validation import ZodEmail
from ._mail import email_token, verification_mail_enabled, verify_email_url
from ._shared import WireBody

TAGS = ("Account",)

NO_FLOW = "Verification email isn't enabled"


class ChangeEmailBody(WireBody):
    """Body of ``POST /change-email``."""

    new_email: ZodEmail = Field(alias="newEmail")
    callback_url: StrictStr = Field("", alias="callbackURL")


@endpoint(
    "POST",
    "/change-email",
    tags=TAGS,
    available=lambda auth: auth.settings.user.change_email.enabled,
    operation_id="changeEmail",
    body=ChangeEmailBody,
    response=StatusResponse,
    auth="sensitive",
    errors=(
        ErrorDoc(400, (ErrorCode.CHANGE_EMAIL_DISABLED,), "Also message-only: Email is the same"),
        ErrorDoc(403, (ErrorCode.INVALID_CALLBACK_URL,)),
    ),
)
async def change_email(ctx: EndpointContext[ChangeEmailBody, None]) -> StatusResponse | AuthResponse:
    """Change the email address.

    Unverified users may switch at once (``update_email_without_verification``); otherwise a link
    goes to the new address (or first a confirmation to the current one). An address that belongs
    to another account answers the same ``{"status": true}`` and sends nothing.
    """
    body = ctx.body
    settings = ctx.auth.settings.user.change_email
    if not settings.enabled:
        raise AuthError(400, ErrorCode.CHANGE_EMAIL_DISABLED)
    session, user = await ctx.require_session()
    new_email = body.new_email.lower()
    if new_email == user["email"]:
        raise AuthError(400, None, "Email is the same")
    verified = bool(user.get("emailVerified"))
    can_update_now = not verified and settings.update_email_without_verification
    can_verify = verification_mail_enabled(ctx)
    can_confirm = can_verify and verified and settings.send_confirmation_to_current_email
    if not (can_update_now or can_verify):
        raise AuthError(400, None, NO_FLOW)
    if await ctx.store.find_user_by_email(new_email) is not None:
        email_token(ctx, user["email"], user["id"], update_to=new_email)  # same work as a real change
        return {"status": True}
    name = user.get("name") or ""

    if can_update_now:
        try:
            updated = await ctx.store.update_user(user["id"], {"email": new_email})
        except UniqueViolationError:
            return {"status": True}  # taken meanwhile: the same answer as above
        ctx.audit("email_changed", subject_id=user["id"])
        ctx.set_session_cookie(session, updated or {**user, "email": new_email})
        if can_verify:
            token = email_token(ctx, new_email, user["id"])
            url = verify_email_url(ctx, token, body.callback_url)
            ctx.auth.mailer.send("verification", to=new_email, url=url, token=token, name=name)
        return {"status": True}

    if can_confirm:
        token = email_token(
            ctx, user["email"], user["id"], update_to=new_email, request_type="change-email-confirmation"
        )
        url = verify_email_url(ctx, token, body.callback_url)
        ctx.auth.mailer.send(
            "change-email-confirmation", to=user["email"], url=url, token=token, name=name, new_email=new_email
        )
        return {"status": True}

    token = email_token(ctx, user["email"], user["id"], update_to=new_email, request_type="change-email-verification")
    url = verify_email_url(ctx, token, body.callback_url)
    ctx.auth.mailer.send(
        "change-email-verification", to=new_email, url=url, token=token, name=name, new_email=new_email
    )
    return {"status": True}
