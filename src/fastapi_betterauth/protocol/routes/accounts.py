"""Linked accounts of the signed-in user. Mirrors better-auth/src/api/routes/account.ts."""

from __future__ import annotations

from typing import Any, cast

from pydantic import Field

from ...errors import AuthError, ErrorCode
from ..context import EndpointContext
from ..endpoint import AuthResponse, ErrorDoc, endpoint
from ..shapes import AccountInfo, StatusResponse
from ..validation import js_trim
from ._shared import WireBody

TAGS = ("Account",)


def parse_scopes(scope: Any) -> list[str]:
    """The stored comma-separated ``scope`` as a list (``[]`` when empty)."""
    if not scope or not isinstance(scope, str):
        return []
    return [js_trim(part) for part in scope.split(",") if js_trim(part)]


@endpoint(
    "GET",
    "/list-accounts",
    tags=TAGS,
    operation_id="listUserAccounts",
    response=list[AccountInfo],
    auth="session",
)
async def list_user_accounts(ctx: EndpointContext[None, None]) -> list[AccountInfo] | AuthResponse:
    """The signed-in user's accounts (credential and social)."""
    _, user = await ctx.require_session(use_cache=True)
    hidden = ctx.auth.schema.hidden.get("account", frozenset())
    out: list[AccountInfo] = []
    for row in await ctx.store.find_accounts(user["id"]):
        listed = {k: v for k, v in row.items() if k not in hidden and k != "scope"}
        out.append(cast(AccountInfo, {**listed, "scopes": parse_scopes(row.get("scope"))}))
    return out


class UnlinkAccountBody(WireBody):
    """Body of ``POST /unlink-account``: the account row ``id``."""

    account_id: str = Field(alias="accountId")


@endpoint(
    "POST",
    "/unlink-account",
    tags=TAGS,
    operation_id="unlinkAccount",
    body=UnlinkAccountBody,
    response=StatusResponse,
    auth="fresh",
    errors=(
        ErrorDoc(400, (ErrorCode.FAILED_TO_UNLINK_LAST_ACCOUNT, ErrorCode.ACCOUNT_NOT_FOUND)),
        ErrorDoc(403, (ErrorCode.SESSION_NOT_FRESH,)),
    ),
)
async def unlink_account(ctx: EndpointContext[UnlinkAccountBody, None]) -> StatusResponse | AuthResponse:
    """Remove one of the user's accounts; the last one cannot be removed."""
    body = ctx.body
    _, user = await ctx.require_session(use_cache=True)
    accounts = await ctx.store.find_accounts(user["id"])
    if len(accounts) == 1 and not ctx.auth.settings.account.account_linking.allow_unlinking_all:
        raise AuthError(400, ErrorCode.FAILED_TO_UNLINK_LAST_ACCOUNT)
    match = next((a for a in accounts if a["id"] == body.account_id), None)
    if match is None:
        raise AuthError(400, ErrorCode.ACCOUNT_NOT_FOUND)
    await ctx.store.delete_account(match["id"])
    ctx.audit("account_unlinked", subject_id=user["id"], reason=match["providerId"])
    return {"status": True}
