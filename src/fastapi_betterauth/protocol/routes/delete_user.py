"""Account deletion. Mirrors better-auth/src/api/routes/update-user.ts (deleteUser and its callback)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, StrictStr

from ...crypto.random import generate_id
from ...crypto.signing import encode_uri_component
from ...db.adapter import Row
from ...errors import AuthError, ErrorCode
from ...hooks import run_hook
from ..context import AnyContext, EndpointContext
from ..endpoint import AuthResponse, ErrorDoc, endpoint
from ..redirects import redirect
from ..shapes import DeleteUserResponse
from ._shared import PasswordFields, WireBody, check_callback_query, check_password_length

TAGS = ("Account",)

DELETE_PREFIX = "delete-account-"


class DeleteUserBody(WireBody):
    """Body of ``POST /delete-user``; all optional."""

    password_fields: ClassVar[PasswordFields] = {"password": "any"}

    callback_url: StrictStr = Field("", alias="callbackURL")
    password: StrictStr = ""
    token: StrictStr = ""


@endpoint(
    "POST",
    "/delete-user",
    tags=TAGS,
    available=lambda auth: auth.settings.user.delete_user.enabled,
    operation_id="deleteUser",
    body=DeleteUserBody,
    response=DeleteUserResponse,
    auth="sensitive",
    errors=(
        ErrorDoc(
            400,
            (ErrorCode.INVALID_PASSWORD, ErrorCode.CREDENTIAL_ACCOUNT_NOT_FOUND, ErrorCode.SESSION_EXPIRED),
        ),
        ErrorDoc(404, (ErrorCode.INVALID_TOKEN,), "Also an empty 404 when deletion is disabled"),
    ),
)
async def delete_user(ctx: EndpointContext[DeleteUserBody, None]) -> DeleteUserResponse | AuthResponse:
    """Delete the signed-in user, its sessions and accounts.

    Proof, in Better Auth's order: the password; or the token from a deletion mail; or (when
    ``send_verification_email`` is on) a mail is sent instead; or a fresh session. The
    ``before_delete_user`` / ``after_delete_user`` hooks run around the deletion.
    """
    settings = ctx.auth.settings.user.delete_user
    if not settings.enabled:
        raise AuthError(404)
    body = ctx.body
    session, user = await ctx.require_session()
    if body.password:
        check_password_length(ctx, body.password, check_min=False)
        account = await ctx.store.find_credential_account(user["id"])
        if account is None or not account.get("password"):
            raise AuthError(400, ErrorCode.CREDENTIAL_ACCOUNT_NOT_FOUND)
        if not await ctx.auth.hashing.verify(account["password"], body.password):
            raise AuthError(400, ErrorCode.INVALID_PASSWORD)
    if body.token:
        await _delete_with_token(ctx, user, body.token)
        return {"success": True, "message": "User deleted"}
    if settings.send_verification_email and ctx.auth.mailer.enabled:
        token = generate_id(32, "0123456789abcdefghijklmnopqrstuvwxyz")
        await ctx.store.create_verification(
            DELETE_PREFIX + token, user["id"], expires_in=settings.delete_token_expires_in
        )
        callback = encode_uri_component(body.callback_url or "/")
        url = f"{ctx.auth.base_url(ctx.request)}/delete-user/callback?token={token}&callbackURL={callback}"
        ctx.auth.mailer.send("delete-account", to=user["email"], url=url, token=token, name=user.get("name") or "")
        return {"success": True, "message": "Verification email sent"}
    if not body.password and not ctx.is_fresh(session):
        raise AuthError(400, ErrorCode.SESSION_EXPIRED)
    await _delete(ctx, user)
    return {"success": True, "message": "User deleted"}


class DeleteUserCallbackQuery(WireBody):
    """Query of ``GET /delete-user/callback``."""

    token: str
    callback_url: str | None = Field(None, alias="callbackURL")


@endpoint(
    "GET",
    "/delete-user/callback",
    tags=TAGS,
    available=lambda auth: auth.settings.user.delete_user.enabled,
    operation_id="deleteUserCallback",
    query=DeleteUserCallbackQuery,
    response=DeleteUserResponse,
    errors=(
        ErrorDoc(403, (ErrorCode.INVALID_CALLBACK_URL,)),
        ErrorDoc(404, (ErrorCode.INVALID_TOKEN, ErrorCode.FAILED_TO_GET_USER_INFO, ErrorCode.NOT_FOUND)),
    ),
)
async def delete_user_callback(
    ctx: EndpointContext[None, DeleteUserCallbackQuery],
) -> DeleteUserResponse | AuthResponse:
    """Follow the link in the deletion mail (signed in as that user): deletes, then 302 to ``callbackURL``."""
    query = ctx.query
    callback = check_callback_query(ctx, query.callback_url)
    if not ctx.auth.settings.user.delete_user.enabled:
        raise AuthError(404, ErrorCode.NOT_FOUND)
    found = await ctx.get_session()
    if found is None:
        raise AuthError(404, ErrorCode.FAILED_TO_GET_USER_INFO)
    await _delete_with_token(ctx, found[1], query.token)
    if callback:
        return redirect(callback)
    return {"success": True, "message": "User deleted"}


async def _delete_with_token(ctx: AnyContext, user: Row, token: str) -> None:
    row = await ctx.store.consume_verification(DELETE_PREFIX + token)
    if row is None or row.get("value") != user["id"]:
        raise AuthError(404, ErrorCode.INVALID_TOKEN)
    await _delete(ctx, user)


async def _delete(ctx: AnyContext, user: Row) -> None:
    await delete_account(ctx, user)
    ctx.cookies_out.extend(ctx.auth.cookies.expire_session())


async def delete_account(ctx: AnyContext, user: Row, *, actor_id: str | None = None) -> None:
    """Delete a user with its sessions and accounts, between the application's hooks; record the event.

    Shared by ``delete-user`` (the user themself) and the admin plugin's ``remove-user``.
    """
    await run_hook(ctx.auth.hooks.before_delete_user, user)
    await ctx.store.delete_user(user["id"])
    ctx.audit("user_deleted", subject_id=user["id"], actor_id=actor_id)
    await run_hook(ctx.auth.hooks.after_delete_user, user)
