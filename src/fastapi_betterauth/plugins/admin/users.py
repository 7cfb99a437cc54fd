"""User management: create, list, get, update, set password, ban, unban, remove.

Mirrors the user routes of better-auth/src/plugins/admin/routes.ts.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar, Literal, NotRequired

from pydantic import Field, StrictStr
from typing_extensions import TypedDict

from ..._dates import now
from ...db.adapter import Operator, SortBy, UniqueViolationError
from ...errors import AuthError, ErrorCode
from ...protocol.context import EndpointContext
from ...protocol.endpoint import AuthResponse, ErrorDoc, endpoint
from ...protocol.fields import typed_values
from ...protocol.routes._shared import PasswordFields, WireBody, check_password_length
from ...protocol.routes.delete_user import delete_account
from ...protocol.shapes import StatusResponse, SuccessResponse, UserOut, UserResponse
from ...protocol.validation import EmailText, is_valid_email
from .guards import (
    TAGS,
    CoercedStr,
    Roles,
    UserIdBody,
    acting,
    acting_or_server,
    admin_errors,
    allowed,
    checked_roles,
    may_act_as,
    target,
)
from .options import admin_options

BAN_FIELDS = ("banned", "banReason", "banExpires")


class GetUserQuery(WireBody):
    """Query of ``GET /admin/get-user``."""

    id: str


@endpoint(
    "GET",
    "/admin/get-user",
    operation_id="getUser",
    query=GetUserQuery,
    response=UserOut,
    tags=TAGS,
    errors=admin_errors(ErrorCode.YOU_ARE_NOT_ALLOWED_TO_GET_USER, on_a_user=True),
)
async def get_user(ctx: EndpointContext[None, GetUserQuery]) -> UserOut | AuthResponse:
    """One user, by id."""
    await acting(ctx, {"user": ["get"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_GET_USER)
    return ctx.auth.public_user(await target(ctx, ctx.query.id))


class ListUsersQuery(WireBody):
    """Query of ``GET /admin/list-users``."""

    search_value: str | None = Field(None, alias="searchValue")
    search_field: Literal["email", "name"] = Field("email", alias="searchField")
    search_operator: Literal["contains", "starts_with", "ends_with"] = Field("contains", alias="searchOperator")
    limit: str | None = None
    offset: str | None = None
    sort_by: str | None = Field(None, alias="sortBy")
    sort_direction: Literal["asc", "desc"] = Field("asc", alias="sortDirection")
    filter_field: str = Field("email", alias="filterField")
    filter_value: str | None = Field(None, alias="filterValue")
    filter_operator: Literal[
        "eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "contains", "starts_with", "ends_with"
    ] = Field("eq", alias="filterOperator")


class ListUsersResponse(TypedDict):
    """A page of users; ``total`` counts every match; ``limit``/``offset`` echo the effective page."""

    users: list[UserOut]
    total: int
    limit: NotRequired[int]
    offset: NotRequired[int]


@endpoint(
    "GET",
    "/admin/list-users",
    operation_id="listUsers",
    query=ListUsersQuery,
    response=ListUsersResponse,
    tags=TAGS,
    errors=admin_errors(ErrorCode.YOU_ARE_NOT_ALLOWED_TO_LIST_USERS),
)
async def list_users(ctx: EndpointContext[None, ListUsersQuery]) -> ListUsersResponse | AuthResponse:
    """Users, with search, filter, sort and pagination; ``total`` counts all matches.

    At most ``max_page_size`` users per answer (1,000 by default), with or without ``limit``.
    """
    query = ctx.query
    await acting(ctx, {"user": ["list"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_LIST_USERS)
    max_page = admin_options(ctx.auth).max_page_size
    limit, offset = _positive(query.limit), _positive(query.offset)
    if limit is not None:
        limit = min(limit, max_page)
    conditions: list[tuple[str, Operator, Any]] = []
    if query.search_value:
        conditions.append((query.search_field, query.search_operator, query.search_value))
    if query.filter_value is not None:
        conditions.append((query.filter_field, query.filter_operator, _filter_value(query.filter_value)))
    sort = SortBy(query.sort_by, "desc" if query.sort_direction == "desc" else "asc") if query.sort_by else None
    try:
        # Better Auth lists every user when no limit is given; never more than one page here.
        rows, total = await ctx.store.list_users(
            conditions=conditions, sort_by=sort, limit=limit if limit is not None else max_page, offset=offset or 0
        )
    except Exception:  # Better Auth answers an empty page for a bad field or operator
        return {"users": [], "total": 0}
    page: ListUsersResponse = {"users": [ctx.auth.public_user(r) for r in rows], "total": total}
    if limit:
        page["limit"] = limit
    if offset:
        page["offset"] = offset
    return page


class CreateUserBody(WireBody):
    """Body of ``POST /admin/create-user``."""

    password_fields: ClassVar[PasswordFields] = {"password": "any"}
    user_data_fields: ClassVar[tuple[str, ...]] = ("data",)

    email: EmailText
    password: StrictStr = ""
    name: str
    role: Roles | None = None
    data: dict[str, Any] = Field(default_factory=dict)


@endpoint(
    "POST",
    "/admin/create-user",
    operation_id="createUser",
    body=CreateUserBody,
    response=UserResponse,
    tags=TAGS,
    errors=admin_errors(
        ErrorCode.YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS,
        ErrorDoc(
            400,
            (ErrorCode.INVALID_EMAIL, ErrorCode.USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL, ErrorCode.PASSWORD_TOO_LONG),
        ),
    ),
)
async def create_user(ctx: EndpointContext[CreateUserBody, None]) -> UserResponse | AuthResponse:
    """Create a user (with a password, or none for social-only users); no session is created."""
    body = ctx.body
    # None: trusted server code (auth.api.create_user without headers), which every permission allows.
    admin_user = await acting_or_server(ctx, {"user": ["create"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS)

    def may(permissions: dict[str, list[str]]) -> bool:
        return admin_user is None or allowed(ctx.auth, admin_user, permissions)

    data = dict(body.data)
    requested = body.role if body.role is not None else data.pop("role", None)
    data.pop("role", None)
    roles = None
    if requested is not None:
        if not may({"user": ["set-role"]}):
            raise AuthError(403, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE)
        roles = checked_roles(ctx.auth, requested)
    if any(k in data for k in BAN_FIELDS) and not may({"user": ["ban"]}):
        raise AuthError(403, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_BAN_USERS)
    email = body.email.lower()
    if not is_valid_email(email):
        raise AuthError(400, ErrorCode.INVALID_EMAIL)
    if body.password:
        check_password_length(ctx, body.password, check_min=False)
    if await ctx.store.find_user_by_email(email) is not None:
        raise AuthError(400, ErrorCode.USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL)
    password_hash = await ctx.auth.hashing.hash(body.password) if body.password else None
    values = typed_values(ctx.auth.schema.tables["user"], data, where="body.data")
    values.update(
        email=email, name=body.name, role=roles if roles is not None else admin_options(ctx.auth).default_role
    )
    try:
        async with ctx.auth.adapter.transaction() as tx:
            user = await ctx.store.create_user(values, adapter=tx)
            if password_hash is not None:
                await ctx.store.create_credential_account(user["id"], password_hash, adapter=tx)
    except UniqueViolationError:
        raise AuthError(400, ErrorCode.USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL) from None
    return {"user": ctx.auth.public_user(user)}


class UpdateUserBody(WireBody):
    """Body of ``POST /admin/update-user``."""

    user_data_fields: ClassVar[tuple[str, ...]] = ("data",)

    user_id: CoercedStr = Field(alias="userId")
    data: dict[str, Any]


@endpoint(
    "POST",
    "/admin/update-user",
    operation_id="adminUpdateUser",
    body=UpdateUserBody,
    response=UserOut,
    tags=TAGS,
    errors=admin_errors(
        (
            ErrorCode.YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS,
            ErrorCode.YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE,
            ErrorCode.YOU_ARE_NOT_ALLOWED_TO_BAN_USERS,
            ErrorCode.YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL,
            ErrorCode.YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PHONE_NUMBER,
        ),
        ErrorDoc(
            400,
            (
                ErrorCode.NO_DATA_TO_UPDATE,
                ErrorCode.PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER,
                ErrorCode.USER_ID_CANNOT_BE_UPDATED,
                ErrorCode.YOU_CANNOT_BAN_YOURSELF,
            ),
        ),
        on_a_user=True,
    ),
)
async def admin_update_user(ctx: EndpointContext[UpdateUserBody, None]) -> UserOut | AuthResponse:
    """Update any user's fields, each guarded by its own permission."""
    body = ctx.body
    admin_user = await acting(ctx, {"user": ["update"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS)
    data = dict(body.data)
    if not data:
        raise AuthError(400, ErrorCode.NO_DATA_TO_UPDATE)
    if "password" in data:
        raise AuthError(400, ErrorCode.PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER)
    if "id" in data:
        raise AuthError(400, ErrorCode.USER_ID_CANNOT_BE_UPDATED)
    if "role" in data:
        if not allowed(ctx.auth, admin_user, {"user": ["set-role"]}):
            raise AuthError(403, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE)
        data["role"] = checked_roles(ctx.auth, data["role"])
    if any(k in data for k in BAN_FIELDS):
        if not allowed(ctx.auth, admin_user, {"user": ["ban"]}):
            raise AuthError(403, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_BAN_USERS)
        if data.get("banned") is True and body.user_id == admin_user["id"]:
            raise AuthError(400, ErrorCode.YOU_CANNOT_BAN_YOURSELF)
    if "email" in data or "emailVerified" in data:
        if not allowed(ctx.auth, admin_user, {"user": ["set-email"]}):
            raise AuthError(403, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL)
        if "email" in data:
            email = str(data["email"]).lower()
            if not is_valid_email(email):
                raise AuthError(400, ErrorCode.INVALID_EMAIL)
            existing = await ctx.store.find_user_by_email(email)
            if existing is not None and existing["id"] != body.user_id:
                raise AuthError(400, ErrorCode.USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL)
            data["email"] = email
    if ("phoneNumber" in data or "phoneNumberVerified" in data) and not allowed(
        ctx.auth, admin_user, {"user": ["set-phone"]}
    ):
        raise AuthError(403, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PHONE_NUMBER)
    updating = await target(ctx, body.user_id)
    if "email" in data and not may_act_as(ctx.auth, admin_user, updating):
        # A new address the acting admin controls, then a password reset: a takeover of that admin.
        raise AuthError(403, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL)
    values = typed_values(ctx.auth.schema.tables["user"], data, where="body.data")
    try:
        updated = await ctx.store.update_user(body.user_id, values)
    except UniqueViolationError:
        raise AuthError(400, ErrorCode.USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL) from None
    if "role" in data:
        ctx.audit("role_changed", subject_id=body.user_id, actor_id=admin_user["id"], reason=data["role"])
    if data.get("banned") is True:
        await ctx.store.delete_sessions(body.user_id)
        ctx.audit("user_banned", subject_id=body.user_id, actor_id=admin_user["id"])
    return ctx.auth.public_user(updated or {})


class SetUserPasswordBody(WireBody):
    """Body of ``POST /admin/set-user-password``."""

    password_fields: ClassVar[PasswordFields] = {"newPassword": "new"}

    new_password: StrictStr = Field(alias="newPassword", min_length=1)
    user_id: CoercedStr = Field(alias="userId", min_length=1)


@endpoint(
    "POST",
    "/admin/set-user-password",
    operation_id="setUserPassword",
    body=SetUserPasswordBody,
    response=StatusResponse,
    tags=TAGS,
    errors=admin_errors(
        ErrorCode.YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD,
        ErrorDoc(400, (ErrorCode.PASSWORD_TOO_SHORT, ErrorCode.PASSWORD_TOO_LONG)),
        on_a_user=True,
    ),
)
async def set_user_password(ctx: EndpointContext[SetUserPasswordBody, None]) -> StatusResponse | AuthResponse:
    """Set a user's password (creating the credential account when missing).

    Another admin's password needs the ``impersonate-admins`` permission (it signs in as them).
    """
    body = ctx.body
    admin_user = await acting(ctx, {"user": ["set-password"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD)
    check_password_length(ctx, body.new_password)
    user = await target(ctx, body.user_id)
    if not may_act_as(ctx.auth, admin_user, user):
        raise AuthError(403, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD)
    password_hash = await ctx.auth.hashing.hash(body.new_password)
    account = await ctx.store.find_credential_account(user["id"])
    if account is not None:
        await ctx.store.update_password(account["id"], password_hash)
    else:
        await ctx.store.create_credential_account(user["id"], password_hash)
    ctx.audit("password_changed", subject_id=user["id"], actor_id=admin_user["id"], reason="set_by_admin")
    return {"status": True}


class BanBody(WireBody):
    """Body of ``POST /admin/ban-user``."""

    user_id: CoercedStr = Field(alias="userId")
    ban_reason: StrictStr = Field("", alias="banReason")
    ban_expires_in: float | None = Field(None, alias="banExpiresIn")


@endpoint(
    "POST",
    "/admin/ban-user",
    operation_id="banUser",
    body=BanBody,
    response=UserResponse,
    tags=TAGS,
    errors=admin_errors(
        ErrorCode.YOU_ARE_NOT_ALLOWED_TO_BAN_USERS, ErrorDoc(400, (ErrorCode.YOU_CANNOT_BAN_YOURSELF,)), on_a_user=True
    ),
)
async def ban_user(ctx: EndpointContext[BanBody, None]) -> UserResponse | AuthResponse:
    """Ban a user (optionally until ``banExpiresIn`` seconds from now); their sessions are deleted."""
    body = ctx.body
    options = admin_options(ctx.auth)
    admin_user = await acting(ctx, {"user": ["ban"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_BAN_USERS)
    await target(ctx, body.user_id)
    if body.user_id == admin_user["id"]:
        raise AuthError(400, ErrorCode.YOU_CANNOT_BAN_YOURSELF)
    seconds = body.ban_expires_in or options.default_ban_expires_in
    try:
        expires = now() + timedelta(seconds=seconds) if seconds else None
    except (OverflowError, ValueError):
        raise AuthError(400, ErrorCode.VALIDATION_ERROR, "[body.banExpiresIn] Too big") from None
    reason = body.ban_reason or options.default_ban_reason or "No reason"
    updated = await ctx.store.update_user(body.user_id, {"banned": True, "banReason": reason, "banExpires": expires})
    await ctx.store.delete_sessions(body.user_id)
    ctx.audit("user_banned", subject_id=body.user_id, actor_id=admin_user["id"])
    return {"user": ctx.auth.public_user(updated or {})}


@endpoint(
    "POST",
    "/admin/unban-user",
    operation_id="unbanUser",
    body=UserIdBody,
    response=UserResponse,
    tags=TAGS,
    errors=admin_errors(ErrorCode.YOU_ARE_NOT_ALLOWED_TO_BAN_USERS, on_a_user=True),
)
async def unban_user(ctx: EndpointContext[UserIdBody, None]) -> UserResponse | AuthResponse:
    """Lift a ban."""
    body = ctx.body
    admin_user = await acting(ctx, {"user": ["ban"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_BAN_USERS)
    await target(ctx, body.user_id)
    updated = await ctx.store.update_user(body.user_id, {"banned": False, "banExpires": None, "banReason": None})
    ctx.audit("user_unbanned", subject_id=body.user_id, actor_id=admin_user["id"])
    return {"user": ctx.auth.public_user(updated or {})}


@endpoint(
    "POST",
    "/admin/remove-user",
    operation_id="removeUser",
    body=UserIdBody,
    response=SuccessResponse,
    tags=TAGS,
    errors=admin_errors(
        ErrorCode.YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS,
        ErrorDoc(400, (ErrorCode.YOU_CANNOT_REMOVE_YOURSELF,)),
        on_a_user=True,
    ),
)
async def remove_user(ctx: EndpointContext[UserIdBody, None]) -> SuccessResponse | AuthResponse:
    """Delete a user with its sessions and accounts (the application's delete hooks run too)."""
    body = ctx.body
    admin_user = await acting(ctx, {"user": ["delete"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS)
    if body.user_id == admin_user["id"]:
        raise AuthError(400, ErrorCode.YOU_CANNOT_REMOVE_YOURSELF)
    user = await target(ctx, body.user_id)
    await delete_account(ctx, user, actor_id=admin_user["id"])
    return {"success": True}


def _positive(value: str | None) -> int | None:
    try:
        number = int(float(value)) if value else 0
    except ValueError:
        return None
    return number if number > 0 else None


def _filter_value(value: str) -> Any:
    """Query strings are strings; Better Auth's zod turns ``true``/``false``/numbers into their types."""
    if value in ("true", "false"):
        return value == "true"
    try:
        return int(value)
    except ValueError:
        return value
