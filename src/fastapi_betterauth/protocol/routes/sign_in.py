"""Email/password sign-in. Mirrors packages/better-auth/src/api/routes/sign-in.ts (signInEmail)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, StrictBool, StrictStr

from ...db.adapter import Row
from ...errors import AuthError, ErrorCode
from ..context import EndpointContext
from ..endpoint import AuthResponse, ErrorDoc, endpoint
from ..sessions import start_session
from ..shapes import SignInResponse
from ..validation import EmailText, is_valid_email
from ._mail import send_verification_mail
from ._shared import PasswordFields, WireBody, check_password_length

TAGS = ("Sign in and sign up",)


class SignInEmailBody(WireBody):
    """Body of ``POST /sign-in/email``."""

    password_fields: ClassVar[PasswordFields] = {"password": "any"}

    email: EmailText
    password: str
    # Optional but not nullable (zod .optional()): an explicit null is a validation error.
    callback_url: StrictStr = Field("", alias="callbackURL")
    remember_me: StrictBool = Field(True, alias="rememberMe")


async def _password_owner(
    ctx: EndpointContext[SignInEmailBody, None], email: str, password: str
) -> tuple[Row, Row, str]:
    """The user, credential account and stored hash this password opens; the lockout counts each try.

    Every failure is the same 401 after the same hashing work. A locked account (known or not) is
    refused before the database is read, so its answer and timing say nothing about existence.
    """
    lockout, client = ctx.auth.lockout, ctx.auth.client_address(ctx.request)
    if lockout is not None and (refused := await lockout.check(email, client)) is not None:
        ctx.audit("sign_in_failed", subject_id=None, reason="account_locked")
        raise refused
    hashing = ctx.auth.hashing
    user = await ctx.store.find_user_by_email(email)
    account = await ctx.store.find_credential_account(user["id"]) if user is not None else None
    stored = account.get("password") if account is not None else None
    if user is None or account is None or not stored:
        await hashing.burn(password)
        matched = False
    else:
        matched = await hashing.verify(stored, password)
    if not matched:
        if lockout is not None:
            await lockout.record_failure(email, client)
        ctx.audit("sign_in_failed", subject_id=user["id"] if user else None, reason="invalid_credentials")
        raise AuthError(401, ErrorCode.INVALID_EMAIL_OR_PASSWORD)
    assert user is not None and account is not None and stored
    if lockout is not None:
        await lockout.record_success(email, client)
    return user, account, stored


@endpoint(
    "POST",
    "/sign-in/email",
    tags=TAGS,
    operation_id="signInEmail",
    body=SignInEmailBody,
    response=SignInResponse,
    media="json+form",
    csrf=True,
    errors=(
        ErrorDoc(400, (ErrorCode.INVALID_EMAIL, ErrorCode.PASSWORD_TOO_LONG)),
        ErrorDoc(401, (ErrorCode.INVALID_EMAIL_OR_PASSWORD,)),
        ErrorDoc(429, (ErrorCode.ACCOUNT_TEMPORARILY_LOCKED,), "Account locked after repeated wrong passwords"),
        ErrorDoc(
            403,
            (
                ErrorCode.EMAIL_NOT_VERIFIED,
                ErrorCode.INVALID_ORIGIN,
                ErrorCode.CROSS_SITE_NAVIGATION_LOGIN_BLOCKED,
            ),
        ),
    ),
)
async def sign_in_email(ctx: EndpointContext[SignInEmailBody, None]) -> SignInResponse | AuthResponse:
    """Sign in with email and password.

    Unknown emails, missing credential accounts and wrong passwords all answer the same 401 after
    the same amount of hashing work, so responses do not reveal which emails are registered.
    """
    body = ctx.body
    policy = ctx.auth.settings.email_and_password
    if not policy.enabled:
        raise AuthError(400, ErrorCode.EMAIL_PASSWORD_DISABLED)
    email = body.email.lower()
    if not is_valid_email(email):
        raise AuthError(400, ErrorCode.INVALID_EMAIL)
    check_password_length(ctx, body.password, check_min=False)

    user, account, stored = await _password_owner(ctx, email, body.password)
    hashing = ctx.auth.hashing
    if policy.require_email_verification and not user.get("emailVerified"):
        ctx.audit("sign_in_failed", subject_id=user["id"], reason="email_not_verified")
        if ctx.auth.settings.email_verification.send_on_sign_in:
            send_verification_mail(ctx, user, body.callback_url)
        raise AuthError(403, ErrorCode.EMAIL_NOT_VERIFIED)
    if hashing.needs_rehash(stored):
        # The configured algorithm changed since this hash was made: upgrade it transparently.
        await ctx.store.update_password(account["id"], await hashing.hash(body.password))

    try:
        session = await start_session(ctx, user, remember=body.remember_me, audit="sign_in")
    except AuthError as error:
        ctx.audit("sign_in_failed", subject_id=user["id"], reason=str(error.code.value).lower() if error.code else None)
        raise
    user_out = ctx.auth.public_user(user)
    result: SignInResponse
    if "callback_url" in body.model_fields_set:  # echoed even when "" (with redirect false), as Better Auth
        result = {
            "redirect": bool(body.callback_url),
            "token": session["token"],
            "url": body.callback_url,
            "user": user_out,
        }
    else:
        result = {"redirect": False, "token": session["token"], "user": user_out}
    if body.callback_url:
        return AuthResponse(body=result, headers=[("Location", body.callback_url)])
    return result
