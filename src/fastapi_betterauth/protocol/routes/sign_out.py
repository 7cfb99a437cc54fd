"""Sign-out. Mirrors packages/better-auth/src/api/routes/sign-out.ts (signOut)."""

from __future__ import annotations

from pydantic import Field, StrictBool, StrictStr

from ...errors import ErrorCode
from ..context import EndpointContext
from ..endpoint import AuthResponse, ErrorDoc, endpoint
from ..shapes import SuccessResponse
from ._shared import WireBody

TAGS = ("Sign in and sign up",)


class SignOutBody(WireBody):
    """Optional body of ``POST /sign-out`` (only used for provider logout)."""

    # Optional but not nullable, as zod's .optional(): null is a validation error.
    callback_url: StrictStr = Field("", alias="callbackURL")
    disable_redirect: StrictBool = Field(False, alias="disableRedirect")
    state: StrictStr = ""


@endpoint(
    "POST",
    "/sign-out",
    tags=TAGS,
    operation_id="signOut",
    body=SignOutBody,
    response=SuccessResponse,
    auth="optional",
    errors=(ErrorDoc(403, (ErrorCode.MISSING_OR_NULL_ORIGIN, ErrorCode.INVALID_ORIGIN)),),
)
async def sign_out(ctx: EndpointContext[SignOutBody, None]) -> SuccessResponse | AuthResponse:
    """Sign out: delete the current session and expire the session cookies (always 200)."""
    token = ctx.session_token()
    if token is not None:
        found = await ctx.store.find_session(token)
        await ctx.store.delete_session(token)
        if found is not None:
            ctx.audit("sign_out", subject_id=found[0]["userId"])
    ctx.cookies_out.extend(ctx.auth.cookies.expire_session())
    return {"success": True}
