"""Password changes by a signed-in user. Mirrors better-auth/src/api/routes/update-user.ts (changePassword)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, StrictBool

from ...errors import AuthError, ErrorCode
from ..context import EndpointContext
from ..endpoint import AuthResponse, ErrorDoc, endpoint
from ..sessions import start_session
from ..shapes import ChangePasswordResponse, StatusResponse
from ._shared import PasswordFields, WireBody, check_new_password, check_password_length

TAGS = ("Account",)


class ChangePasswordBody(WireBody):
    """Body of ``POST /change-password``."""

    password_fields: ClassVar[PasswordFields] = {"newPassword": "new", "currentPassword": "any"}

    new_password: str = Field(alias="newPassword")
    current_password: str = Field(alias="currentPassword")
    revoke_other_sessions: StrictBool = Field(False, alias="revokeOtherSessions")


@endpoint(
    "POST",
    "/change-password",
    tags=TAGS,
    operation_id="changePassword",
    body=ChangePasswordBody,
    response=ChangePasswordResponse,
    auth="sensitive",
    errors=(
        ErrorDoc(
            400,
            (
                ErrorCode.INVALID_PASSWORD,
                ErrorCode.CREDENTIAL_ACCOUNT_NOT_FOUND,
                ErrorCode.PASSWORD_TOO_SHORT,
                ErrorCode.PASSWORD_TOO_LONG,
                ErrorCode.PASSWORD_TOO_WEAK,
            ),
        ),
    ),
)
async def change_password(ctx: EndpointContext[ChangePasswordBody, None]) -> ChangePasswordResponse | AuthResponse:
    """Change the password, given the current one.

    With ``revokeOtherSessions`` every session (this one included) is deleted and a new one is
    created and set as the cookie, as Better Auth does.
    """
    body = ctx.body
    _, user = await ctx.require_session()
    check_new_password(ctx, body.new_password)
    check_password_length(ctx, body.current_password, check_min=False)
    account = await ctx.store.find_credential_account(user["id"])
    if account is None or not account.get("password"):
        raise AuthError(400, ErrorCode.CREDENTIAL_ACCOUNT_NOT_FOUND)
    hashing = ctx.auth.hashing
    new_hash = await hashing.hash(body.new_password)
    if not await hashing.verify(account["password"], body.current_password):
        raise AuthError(400, ErrorCode.INVALID_PASSWORD)
    revoke = body.revoke_other_sessions is True
    async with ctx.auth.adapter.transaction() as tx:
        if revoke:
            await ctx.store.delete_sessions(user["id"], adapter=tx)
        await ctx.store.update_password(account["id"], new_hash, adapter=tx)
    ctx.audit("password_changed", subject_id=user["id"], reason="sessions_revoked" if revoke else None)
    token = None
    if revoke:
        # Every session is gone, this one too: a new full-length one for this browser, whose cookie keeps
        # the browser's remember choice (as Better Auth does).
        expires_in = ctx.auth.settings.session.expires_in
        token = (await start_session(ctx, user, remember=ctx.is_remembered(), expires_in=expires_in))["token"]
    return {"token": token, "user": ctx.auth.public_user(user)}


class SetPasswordBody(WireBody):
    """Body of the server-only ``set-password``."""

    new_password: str = Field(alias="newPassword")


@endpoint(
    "POST",
    "/set-password",
    tags=TAGS,
    operation_id="setPassword",
    body=SetPasswordBody,
    response=StatusResponse,
    auth="sensitive",
    http=False,
    errors=(ErrorDoc(400, (ErrorCode.PASSWORD_ALREADY_SET,)),),
)
async def set_password(ctx: EndpointContext[SetPasswordBody, None]) -> StatusResponse | AuthResponse:
    """Give a password to a user who has none (e.g. signed up with a social provider).

    Server-side only (``await auth.api.set_password(body=..., headers=request.headers)``), as in
    Better Auth: over HTTP this path is a 404.
    """
    body = ctx.body
    _, user = await ctx.require_session()
    check_new_password(ctx, body.new_password)
    account = await ctx.store.find_credential_account(user["id"])
    new_hash = await ctx.auth.hashing.hash(body.new_password)
    if account is None:
        await ctx.store.create_credential_account(user["id"], new_hash)
        return {"status": True}
    if not account.get("password"):
        await ctx.store.update_password(account["id"], new_hash)
        return {"status": True}
    raise AuthError(400, ErrorCode.PASSWORD_ALREADY_SET)
