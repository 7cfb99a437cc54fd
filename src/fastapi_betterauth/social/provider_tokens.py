"""The provider's tokens of a linked account: ``/get-access-token``, ``/refresh-token``, ``/account-info``.

Mirror ``better-auth/src/api/routes/account.ts`` of 1.7.24: an HTTP caller always acts for its own
session's user (``userId`` is honoured only in server-side calls), the session is read from the
database (a revoked session stops here at once), and an access token within five seconds of expiry
is refreshed and stored first.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, NotRequired

from pydantic import Field, GetJsonSchemaHandler, StrictStr
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema
from typing_extensions import TypedDict

from .._dates import now
from ..crypto.symmetric import DecryptionError
from ..db.adapter import Row
from ..errors import AuthError, ErrorCode
from ..protocol.context import AnyContext, EndpointContext
from ..protocol.endpoint import AuthResponse, ErrorDoc, endpoint
from ..protocol.routes._shared import WireBody
from ..protocol.routes.accounts import parse_scopes
from .linking import open_token, seal_token, user_fields
from .oauth_client import ProviderError
from .provider import OAuthTokens
from .routes import registry

logger = logging.getLogger("fastapi_betterauth.social")
TAGS = ("Account",)
REFRESH_MARGIN = timedelta(seconds=5)


class AccountSelection(WireBody):
    """Which account: ``{accountId}`` (the row id) or ``{useAccountCookie: true}``, plus ``userId``.

    ``userId`` counts in server-side calls only. Exactly one of the two forms, nothing else (Better
    Auth's strict union).
    """

    body_required = True

    account_id: StrictStr | None = Field(None, alias="accountId")
    use_account_cookie: bool | None = Field(None, alias="useAccountCookie")
    user_id: StrictStr | None = Field(None, alias="userId")

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        """The strict union as validation enforces it (OpenAPI cannot infer it from the fields)."""
        user_id = {"type": "string", "description": "Server-side calls only: the user to act for"}
        return {
            "type": "object",
            "oneOf": [
                {
                    "type": "object",
                    "properties": {
                        "accountId": {"type": "string", "description": "The account row id"},
                        "userId": user_id,
                    },
                    "required": ["accountId"],
                    "additionalProperties": False,
                },
                {
                    "type": "object",
                    "properties": {"useAccountCookie": {"const": True}, "userId": user_id},
                    "required": ["useAccountCookie"],
                    "additionalProperties": False,
                },
            ],
        }


class AccountQuery(AccountSelection):
    """The selection as query parameters of ``GET /account-info`` (``?accountId=<row id>``)."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        """Query parameters cannot say "one of"; the account id form is the one documented."""
        return {
            "type": "object",
            "properties": {
                "accountId": {"type": "string", "description": "The account row id"},
                "userId": {"type": "string", "description": "Server-side calls only: the user to act for"},
            },
            "required": ["accountId"],
        }


class AccessTokenResponse(TypedDict):
    """A valid provider access token."""

    accessToken: str | None
    accessTokenExpiresAt: NotRequired[datetime]
    scopes: list[str]
    idToken: NotRequired[str]


class RefreshTokenResponse(TypedDict):
    """The provider's fresh tokens."""

    accessToken: str | None
    refreshToken: str | None
    accessTokenExpiresAt: datetime | None
    refreshTokenExpiresAt: datetime | None
    scope: str | None
    idToken: str | None
    providerId: str
    accountId: str


class AccountInfoResponse(TypedDict):
    """The provider's current view of the user, its raw profile, and the account."""

    user: dict[str, Any]
    data: dict[str, Any]
    account: dict[str, str]


def _check_selection(selection: AccountSelection, where: str) -> None:
    """Exactly ``{accountId[, userId]}`` or ``{useAccountCookie: true[, userId]}``.

    Raises:
        AuthError: 400 ``VALIDATION_ERROR`` ``[body] Invalid input``.
    """
    extra = set((selection.model_extra or {}).keys())
    by_id = selection.account_id is not None and selection.use_account_cookie is None
    by_cookie = selection.use_account_cookie is True and selection.account_id is None
    if extra or not (by_id or by_cookie):
        raise AuthError(400, ErrorCode.VALIDATION_ERROR, f"[{where}] Invalid input")


async def _user_id(ctx: AnyContext, selection: AccountSelection) -> str:
    """The user the call acts for: the session's; a ``userId`` only in a server-side call.

    Raises:
        AuthError: 401 (empty) for an HTTP caller without a session; 400 ``USER_ID_OR_SESSION_REQUIRED``.
    """
    found = await ctx.get_session(use_cache=False)
    if found is None and not ctx.request.server_side:
        raise AuthError(401)
    user_id = found[1]["id"] if found is not None else selection.user_id
    if not user_id:
        raise AuthError(400, ErrorCode.USER_ID_OR_SESSION_REQUIRED)
    return user_id


async def _account(ctx: AnyContext, selection: AccountSelection, user_id: str) -> Row:
    """The selected account of the user (an account cookie is not kept: ``storeAccountCookie`` is off).

    Raises:
        AuthError: 400 ``ACCOUNT_NOT_FOUND``.
    """
    if selection.account_id is not None:
        for account in await ctx.store.find_accounts(user_id):
            if account["id"] == selection.account_id:
                return account
    raise AuthError(400, ErrorCode.ACCOUNT_NOT_FOUND)


def _not_supported(provider_id: str) -> AuthError:
    return AuthError(400, ErrorCode.PROVIDER_NOT_SUPPORTED, f"Provider {provider_id} is not supported.")


async def _valid_access_token(ctx: AnyContext, account: Row) -> dict[str, Any]:
    """The account's access token, refreshed (and stored) first when it is about to expire.

    Raises:
        AuthError: 400 ``PROVIDER_NOT_SUPPORTED`` or ``FAILED_TO_GET_ACCESS_TOKEN``.
    """
    social = registry(ctx)
    if social.configured(account["providerId"]) is None:
        raise _not_supported(account["providerId"])
    try:
        provider = await social.get(account["providerId"])
        assert provider is not None
        fresh: OAuthTokens | None = None
        expires = account.get("accessTokenExpiresAt")
        if (
            account.get("refreshToken")
            and expires is not None
            and expires - now() < REFRESH_MARGIN
            and provider.refresh
        ):
            refresh_token = open_token(ctx, account["refreshToken"])
            assert refresh_token is not None
            fresh = await social.client.refresh(provider, refresh_token)
            await ctx.store.update_account(
                account["id"],
                {
                    "accessToken": seal_token(ctx, fresh.access_token),
                    "accessTokenExpiresAt": fresh.access_token_expires_at,
                    "refreshToken": seal_token(ctx, fresh.refresh_token)
                    if fresh.refresh_token
                    else account["refreshToken"],
                    "refreshTokenExpiresAt": fresh.refresh_token_expires_at or account.get("refreshTokenExpiresAt"),
                    "idToken": fresh.id_token or account.get("idToken"),
                },
            )
        out: dict[str, Any] = {
            "accessToken": fresh.access_token if fresh else open_token(ctx, account.get("accessToken") or ""),
        }
        expires_at = (fresh.access_token_expires_at if fresh else None) or expires
        if expires_at is not None:
            out["accessTokenExpiresAt"] = expires_at
        out["scopes"] = parse_scopes(account.get("scope"))
        id_token = (fresh.id_token if fresh else None) or account.get("idToken")
        if id_token:
            out["idToken"] = id_token
        return out
    except (ProviderError, DecryptionError, AssertionError) as error:
        logger.warning("provider %s: no valid access token: %s", account["providerId"], error)
        raise AuthError(400, ErrorCode.FAILED_TO_GET_ACCESS_TOKEN) from None


@endpoint(
    "POST",
    "/get-access-token",
    tags=TAGS,
    operation_id="getAccessToken",
    body=AccountSelection,
    response=AccessTokenResponse,
    errors=(
        ErrorDoc(
            400, (ErrorCode.ACCOUNT_NOT_FOUND, ErrorCode.PROVIDER_NOT_SUPPORTED, ErrorCode.FAILED_TO_GET_ACCESS_TOKEN)
        ),
        ErrorDoc(401, empty=True),
    ),
)
async def get_access_token(ctx: EndpointContext[AccountSelection, None]) -> AccessTokenResponse | AuthResponse:
    """Get a valid provider access token, refreshing it if needed."""
    _check_selection(ctx.body, "body")
    user_id = await _user_id(ctx, ctx.body)
    account = await _account(ctx, ctx.body, user_id)
    return await _valid_access_token(ctx, account)  # type: ignore[return-value]


@endpoint(
    "POST",
    "/refresh-token",
    tags=TAGS,
    operation_id="refreshToken",
    body=AccountSelection,
    response=RefreshTokenResponse,
    errors=(
        ErrorDoc(
            400,
            (
                ErrorCode.ACCOUNT_NOT_FOUND,
                ErrorCode.PROVIDER_NOT_SUPPORTED,
                ErrorCode.TOKEN_REFRESH_NOT_SUPPORTED,
                ErrorCode.REFRESH_TOKEN_NOT_FOUND,
                ErrorCode.FAILED_TO_REFRESH_ACCESS_TOKEN,
            ),
        ),
        ErrorDoc(401, empty=True),
    ),
)
async def refresh_token(ctx: EndpointContext[AccountSelection, None]) -> RefreshTokenResponse | AuthResponse:
    """Refresh the provider access token with the stored refresh token."""
    _check_selection(ctx.body, "body")
    user_id = await _user_id(ctx, ctx.body)
    account = await _account(ctx, ctx.body, user_id)
    social = registry(ctx)
    configured = social.configured(account["providerId"])
    if configured is None:
        raise _not_supported(account["providerId"])
    if not configured.refresh:
        raise AuthError(
            400,
            ErrorCode.TOKEN_REFRESH_NOT_SUPPORTED,
            f"Provider {account['providerId']} does not support token refreshing.",
        )
    stored = account.get("refreshToken")
    if not stored:
        raise AuthError(400, ErrorCode.REFRESH_TOKEN_NOT_FOUND)
    try:
        provider = await social.get(account["providerId"])
        assert provider is not None
        refresh_with = open_token(ctx, stored)
        assert refresh_with is not None
        tokens = await social.client.refresh(provider, refresh_with)
    except (ProviderError, DecryptionError, AssertionError) as error:
        logger.warning("provider %s: refresh failed: %s", account["providerId"], error)
        raise AuthError(400, ErrorCode.FAILED_TO_REFRESH_ACCESS_TOKEN) from None
    refresh_expires = tokens.refresh_token_expires_at or account.get("refreshTokenExpiresAt")
    id_token = tokens.id_token or account.get("idToken")
    updated = await ctx.store.update_account(
        account["id"],
        {
            "accessToken": seal_token(ctx, tokens.access_token),
            "refreshToken": seal_token(ctx, tokens.refresh_token) if tokens.refresh_token else stored,
            "accessTokenExpiresAt": tokens.access_token_expires_at,
            "refreshTokenExpiresAt": refresh_expires,
            "idToken": id_token,
        },
    )
    return {
        "accessToken": tokens.access_token,
        "refreshToken": tokens.refresh_token or refresh_with,
        "accessTokenExpiresAt": tokens.access_token_expires_at,
        "refreshTokenExpiresAt": refresh_expires,
        "scope": (updated or account).get("scope"),
        "idToken": id_token,
        "providerId": account["providerId"],
        "accountId": account["id"],
    }


@endpoint(
    "GET",
    "/account-info",
    tags=TAGS,
    operation_id="accountInfo",
    query=AccountQuery,
    response=AccountInfoResponse,
    errors=(
        ErrorDoc(
            400,
            (ErrorCode.ACCOUNT_NOT_FOUND, ErrorCode.PROVIDER_NOT_CONFIGURED, ErrorCode.ACCESS_TOKEN_NOT_FOUND),
        ),
        ErrorDoc(401, empty=True, description="No session: an empty body"),
        ErrorDoc(401, (ErrorCode.FAILED_TO_GET_USER_INFO,)),
    ),
)
async def account_info(ctx: EndpointContext[None, AccountQuery]) -> AccountInfoResponse | AuthResponse:
    """The provider's current profile of the user, for one of the user's accounts."""
    _check_selection(ctx.query, "query")
    user_id = await _user_id(ctx, ctx.query)
    account = await _account(ctx, ctx.query, user_id)
    social = registry(ctx)
    if social.configured(account["providerId"]) is None:
        raise AuthError(400, ErrorCode.PROVIDER_NOT_CONFIGURED)
    tokens = await _valid_access_token(ctx, account)
    if not tokens.get("accessToken"):
        raise AuthError(400, ErrorCode.ACCESS_TOKEN_NOT_FOUND)
    try:
        provider = await social.get(account["providerId"])
        assert provider is not None
        info = await social.client.user_info(
            provider,
            OAuthTokens(access_token=tokens["accessToken"], id_token=tokens.get("idToken")),
            stored=provider.profile_source == "id_token",  # Google's profile is its id token, read as stored
        )
    except (ProviderError, AssertionError):
        info = None
    if info is None:
        raise AuthError(401, ErrorCode.FAILED_TO_GET_USER_INFO)
    return {
        "user": user_fields(info),
        "data": dict(info.data),
        "account": {"id": account["id"], "providerId": account["providerId"], "accountId": account["accountId"]},
    }
