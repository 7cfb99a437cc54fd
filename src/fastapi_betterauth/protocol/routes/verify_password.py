"""Password check for a signed-in user. Mirrors packages/better-auth/src/api/routes/password.ts (verifyPassword)."""

from __future__ import annotations

from typing import ClassVar

from ...errors import AuthError, ErrorCode
from ..context import EndpointContext
from ..endpoint import AuthResponse, ErrorDoc, endpoint
from ..shapes import StatusResponse
from ._shared import PasswordFields, WireBody, check_password_length

TAGS = ("Account",)


class VerifyPasswordBody(WireBody):
    """Body of ``POST /verify-password``."""

    password_fields: ClassVar[PasswordFields] = {"password": "any"}

    password: str


@endpoint(
    "POST",
    "/verify-password",
    tags=TAGS,
    operation_id="verifyPassword",
    body=VerifyPasswordBody,
    response=StatusResponse,
    auth="sensitive",
    errors=(ErrorDoc(400, (ErrorCode.INVALID_PASSWORD, ErrorCode.PASSWORD_TOO_LONG)),),
)
async def verify_password(ctx: EndpointContext[VerifyPasswordBody, None]) -> StatusResponse | AuthResponse:
    """Check the current user's password (for re-authentication before sensitive actions)."""
    body = ctx.body
    check_password_length(ctx, body.password, check_min=False)
    _, user = await ctx.require_session()
    account = await ctx.store.find_credential_account(user["id"])
    stored = account.get("password") if account else None
    if not stored:
        await ctx.auth.hashing.burn(body.password)
        raise AuthError(400, ErrorCode.INVALID_PASSWORD)
    if not await ctx.auth.hashing.verify(stored, body.password):
        raise AuthError(400, ErrorCode.INVALID_PASSWORD)
    return {"status": True}
