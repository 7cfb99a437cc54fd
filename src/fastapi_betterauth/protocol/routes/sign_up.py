"""Email/password sign-up. Mirrors packages/better-auth/src/api/routes/sign-up.ts (signUpEmail)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, StrictBool, StrictStr

from ...db.adapter import UniqueViolationError
from ...errors import AuthError, ErrorCode
from ..context import EndpointContext
from ..endpoint import AuthResponse, ErrorDoc, endpoint
from ..sessions import start_session
from ..shapes import SignUpResponse
from ..validation import ZodEmail, is_valid_email
from ._mail import send_verification_mail
from ._shared import PasswordFields, WireBody, check_new_password, user_input

TAGS = ("Sign in and sign up",)


class SignUpEmailBody(WireBody):
    """Body of ``POST /sign-up/email``; additional user fields may be added."""

    password_fields: ClassVar[PasswordFields] = {"password": "new"}
    user_fields: ClassVar[bool] = True

    name: str
    email: ZodEmail  # sign-up checks the format in its body schema: a VALIDATION_ERROR
    password: str = Field(min_length=1)
    # Optional but not nullable (zod .optional()): an explicit null is a validation error.
    image: StrictStr = ""
    callback_url: StrictStr = Field("", alias="callbackURL")
    remember_me: StrictBool = Field(True, alias="rememberMe")


@endpoint(
    "POST",
    "/sign-up/email",
    tags=TAGS,
    operation_id="signUpWithEmailAndPassword",
    body=SignUpEmailBody,
    response=SignUpResponse,
    media="json+form",
    csrf=True,
    errors=(
        ErrorDoc(
            400,
            (
                ErrorCode.INVALID_EMAIL,
                ErrorCode.PASSWORD_TOO_SHORT,
                ErrorCode.PASSWORD_TOO_LONG,
                ErrorCode.PASSWORD_TOO_WEAK,
            ),
        ),
        ErrorDoc(403, (ErrorCode.INVALID_ORIGIN, ErrorCode.MISSING_OR_NULL_ORIGIN)),
        ErrorDoc(422, (ErrorCode.USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL,)),
    ),
)
async def sign_up_email(ctx: EndpointContext[SignUpEmailBody, None]) -> SignUpResponse | AuthResponse:
    """Sign up a user with email and password.

    Creates the user, its credential account and (unless email verification is required or
    ``auto_sign_in`` is off) a session, whose cookie is set.
    """
    body = ctx.body
    policy = ctx.auth.settings.email_and_password
    if not policy.enabled or policy.disable_sign_up:
        raise AuthError(400, ErrorCode.EMAIL_PASSWORD_SIGN_UP_DISABLED)
    email = body.email.lower()
    if not is_valid_email(email):
        raise AuthError(400, ErrorCode.INVALID_EMAIL)
    check_new_password(ctx, body.password)
    extra = user_input(ctx, body.model_extra or {}, action="create")
    signs_in = policy.auto_sign_in and not policy.require_email_verification

    data = {"name": body.name, "email": email, "image": _image(body), **extra}
    existing = await ctx.store.find_user_by_email(email)
    if existing is not None:
        return await _existing_user(ctx, body.password, data, signs_in)

    password_hash = await ctx.auth.hashing.hash(body.password)
    try:
        async with ctx.auth.adapter.transaction() as tx:
            user = await ctx.store.create_user(data, adapter=tx)
            await ctx.store.create_credential_account(user["id"], password_hash, adapter=tx)
    except UniqueViolationError:
        # Lost a race with a concurrent sign-up for the same email.
        return await _existing_user(ctx, body.password, data, signs_in)

    ctx.audit("sign_up", subject_id=user["id"])
    verification = ctx.auth.settings.email_verification
    send_on_sign_up = verification.send_on_sign_up
    if send_on_sign_up is None:
        send_on_sign_up = policy.require_email_verification
    if send_on_sign_up:
        send_verification_mail(ctx, user, body.callback_url)
    if not signs_in:
        return {"token": None, "user": ctx.auth.public_user(user)}
    session = await start_session(ctx, user, remember=body.remember_me)
    return {"token": session["token"], "user": ctx.auth.public_user(user)}


def _image(body: SignUpEmailBody) -> str | None:
    return body.image if "image" in body.model_fields_set else None


async def _existing_user(
    ctx: EndpointContext[SignUpEmailBody, None], password: str, data: dict[str, Any], signs_in: bool
) -> SignUpResponse:
    if signs_in:
        raise AuthError(422, ErrorCode.USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL)
    # Without auto sign-in the answer must not reveal that the email is taken: hash anyway and answer
    # with the user a new sign-up would have been, field for field (plugin and additional columns too).
    await ctx.auth.hashing.hash(password)
    row = ctx.store.new_user_row(data)
    fake = {spec.name: row.get(spec.name) for spec in ctx.auth.schema.tables["user"].fields}
    return {"token": None, "user": ctx.auth.public_user(fake)}
