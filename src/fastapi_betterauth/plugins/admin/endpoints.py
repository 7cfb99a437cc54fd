"""The admin plugin's endpoints. Mirrors better-auth/src/plugins/admin/routes.ts (protocol §9.3).

Every route reads the session from the database (the cookie cache is never trusted here) and answers
an empty 401 without one; each checks its permission with :func:`has_permission` and answers 403
``YOU_ARE_NOT_ALLOWED_TO_…`` otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, StrictStr

from ..._dates import now
from ...db.adapter import Operator, Row, SortBy, UniqueViolationError
from ...errors import AuthError, ErrorCode
from ...models import Session, User
from ...protocol.context import EndpointContext
from ...protocol.endpoint import Endpoint, ErrorDoc, endpoint
from ...protocol.routes._shared import ERROR_SHAPE, StatusResponse, SuccessResponse, WireBody, check_password_length
from ...protocol.routes.delete_user import delete_account
from ...protocol.sessions import start_session, use_session
from ...protocol.validation import is_valid_email
from .access import has_permission, split_roles
from .options import AdminOptions


def _coerce_str(value: Any) -> Any:
    """Zod ``z.coerce.string()``: numbers and booleans become strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


CoercedStr = Annotated[str, BeforeValidator(_coerce_str)]
Roles = StrictStr | list[StrictStr]
NO_SESSION = ErrorDoc(401, (), "Empty body: no session")
TAGS = ("Admin",)


class UserResponse(BaseModel):
    """``{"user": …}``."""

    user: User


def admin_endpoints(options: AdminOptions, admin_ids: set[str]) -> tuple[Endpoint, ...]:
    """Every admin route, closed over the plugin's options (``admin_ids``: the option plus the settings')."""

    async def acting(ctx: EndpointContext, permissions: Mapping[str, Sequence[str]], code: ErrorCode) -> Row:
        found = await ctx.get_session(use_cache=False)
        if found is None:
            raise AuthError(401)
        _, user = found
        if not allowed(user, permissions):
            raise AuthError(403, code)
        return user

    def allowed(user: Row, permissions: Mapping[str, Sequence[str]]) -> bool:
        return has_permission(
            user_id=user["id"],
            role=user.get("role"),
            permissions=permissions,
            roles=options.roles,
            admin_user_ids=admin_ids,
            default_role=options.default_role,
        )

    def checked_roles(value: Any) -> str:
        names = value if isinstance(value, list) else [value]
        for name in names:
            if not isinstance(name, str):
                raise AuthError(400, ErrorCode.INVALID_ROLE_TYPE)
            if options.custom_roles and name not in options.roles:
                raise AuthError(400, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE)
        return ",".join(names)

    def is_admin(user: Row) -> bool:
        roles = split_roles(user.get("role") or options.default_role)
        return any(r in options.admin_roles for r in roles) or user["id"] in admin_ids

    def may_act_as_admins(acting_user: Row) -> bool:
        return options.allow_impersonating_admins or allowed(acting_user, {"user": ["impersonate-admins"]})

    def may_act_as(acting_user: Row, user: Row) -> bool:
        """Whether ``acting_user`` may obtain ``user``'s credentials (sessions, password, sign-in email).

        For another admin that takes the permission to impersonate admins: otherwise an admin who may
        not impersonate the root admin could still list its session tokens, or set its password.
        """
        return acting_user["id"] == user["id"] or not is_admin(user) or may_act_as_admins(acting_user)

    async def target(ctx: EndpointContext, user_id: str) -> Row:
        found = await ctx.store.find_user_by_id(user_id)
        if found is None:
            raise AuthError(404, ErrorCode.USER_NOT_FOUND)
        return found

    # -- roles ---------------------------------------------------------------------------------

    class SetRoleBody(WireBody):
        user_id: CoercedStr = Field(alias="userId")
        role: Roles

    @endpoint(
        "POST",
        "/admin/set-role",
        operation_id="setUserRole",
        body=SetRoleBody,
        response=UserResponse,
        tags=TAGS,
        errors=(
            ERROR_SHAPE,
            NO_SESSION,
            ErrorDoc(403, (ErrorCode.YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE,)),
            ErrorDoc(404, (ErrorCode.USER_NOT_FOUND,)),
        ),
    )
    async def set_role(ctx: EndpointContext) -> Any:
        """Set a user's role (several roles are stored comma-separated)."""
        body: SetRoleBody = ctx.body
        admin_user = await acting(ctx, {"user": ["set-role"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE)
        roles = checked_roles(body.role)
        await target(ctx, body.user_id)
        updated = await ctx.store.update_user(body.user_id, {"role": roles})
        ctx.audit("role_changed", subject_id=body.user_id, actor_id=admin_user["id"], reason=roles)
        return {"user": ctx.auth.public_user(updated or {})}

    # -- reading users -------------------------------------------------------------------------

    class GetUserQuery(WireBody):
        id: str

    @endpoint(
        "GET",
        "/admin/get-user",
        operation_id="getUser",
        query=GetUserQuery,
        response=User,
        tags=TAGS,
        errors=(
            ERROR_SHAPE,
            NO_SESSION,
            ErrorDoc(403, (ErrorCode.YOU_ARE_NOT_ALLOWED_TO_GET_USER,)),
            ErrorDoc(404, (ErrorCode.USER_NOT_FOUND,)),
        ),
    )
    async def get_user(ctx: EndpointContext) -> Any:
        """One user, by id."""
        await acting(ctx, {"user": ["get"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_GET_USER)
        return ctx.auth.public_user(await target(ctx, ctx.query.id))

    class ListUsersQuery(WireBody):
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

    class ListUsersResponse(BaseModel):
        users: list[User]
        total: int
        limit: int | None = None
        offset: int | None = None

    @endpoint(
        "GET",
        "/admin/list-users",
        operation_id="listUsers",
        query=ListUsersQuery,
        response=ListUsersResponse,
        tags=TAGS,
        errors=(ERROR_SHAPE, NO_SESSION, ErrorDoc(403, (ErrorCode.YOU_ARE_NOT_ALLOWED_TO_LIST_USERS,))),
    )
    async def list_users(ctx: EndpointContext) -> Any:
        """Users, with search, filter, sort and pagination; ``total`` counts all matches.

        At most ``max_page_size`` users per answer (1,000 by default), with or without ``limit``.
        """
        query: ListUsersQuery = ctx.query
        await acting(ctx, {"user": ["list"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_LIST_USERS)
        limit, offset = _positive(query.limit), _positive(query.offset)
        if limit is not None:
            limit = min(limit, options.max_page_size)
        conditions: list[tuple[str, Operator, Any]] = []
        if query.search_value:
            conditions.append((query.search_field, query.search_operator, query.search_value))
        if query.filter_value is not None:
            conditions.append((query.filter_field, query.filter_operator, _filter_value(query.filter_value)))
        sort = SortBy(query.sort_by, "desc" if query.sort_direction == "desc" else "asc") if query.sort_by else None
        try:
            # Better Auth lists every user when no limit is given; never more than one page here.
            rows, total = await ctx.store.list_users(
                conditions=conditions,
                sort_by=sort,
                limit=limit if limit is not None else options.max_page_size,
                offset=offset or 0,
            )
        except Exception:  # Better Auth answers an empty page for a bad field or operator
            return {"users": [], "total": 0}
        out: dict[str, Any] = {"users": [ctx.auth.public_user(r) for r in rows], "total": total}
        if limit:
            out["limit"] = limit
        if offset:
            out["offset"] = offset
        return out

    # -- creating and updating -----------------------------------------------------------------

    class CreateUserBody(WireBody):
        email: str
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
        errors=(
            ERROR_SHAPE,
            NO_SESSION,
            ErrorDoc(
                400,
                (ErrorCode.INVALID_EMAIL, ErrorCode.USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL, ErrorCode.PASSWORD_TOO_LONG),
            ),
            ErrorDoc(403, (ErrorCode.YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS,)),
        ),
    )
    async def create_user(ctx: EndpointContext) -> Any:
        """Create a user (with a password, or none for social-only users); no session is created."""
        body: CreateUserBody = ctx.body
        admin_user = await acting(ctx, {"user": ["create"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS)
        data = dict(body.data)
        requested = body.role if body.role is not None else data.pop("role", None)
        data.pop("role", None)
        roles = None
        if requested is not None:
            if not allowed(admin_user, {"user": ["set-role"]}):
                raise AuthError(403, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE)
            roles = checked_roles(requested)
        if any(k in data for k in ("banned", "banReason", "banExpires")) and not allowed(admin_user, {"user": ["ban"]}):
            raise AuthError(403, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_BAN_USERS)
        email = body.email.lower()
        if not is_valid_email(email):
            raise AuthError(400, ErrorCode.INVALID_EMAIL)
        if body.password:
            check_password_length(ctx, body.password, check_min=False)
        if await ctx.store.find_user_by_email(email) is not None:
            raise AuthError(400, ErrorCode.USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL)
        password_hash = await ctx.auth.hashing.hash(body.password) if body.password else None
        values = _typed(ctx, "user", data)
        values.update(email=email, name=body.name, role=roles if roles is not None else options.default_role)
        try:
            async with ctx.auth.adapter.transaction() as tx:
                user = await ctx.store.create_user(values, adapter=tx)
                if password_hash is not None:
                    await ctx.store.create_credential_account(user["id"], password_hash, adapter=tx)
        except UniqueViolationError:
            raise AuthError(400, ErrorCode.USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL) from None
        return {"user": ctx.auth.public_user(user)}

    class UpdateUserBody(WireBody):
        user_id: CoercedStr = Field(alias="userId")
        data: dict[str, Any]

    @endpoint(
        "POST",
        "/admin/update-user",
        operation_id="adminUpdateUser",
        body=UpdateUserBody,
        response=User,
        tags=TAGS,
        errors=(
            ERROR_SHAPE,
            NO_SESSION,
            ErrorDoc(
                400,
                (
                    ErrorCode.NO_DATA_TO_UPDATE,
                    ErrorCode.PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER,
                    ErrorCode.USER_ID_CANNOT_BE_UPDATED,
                    ErrorCode.YOU_CANNOT_BAN_YOURSELF,
                ),
            ),
            ErrorDoc(403, (ErrorCode.YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS,)),
            ErrorDoc(404, (ErrorCode.USER_NOT_FOUND,)),
        ),
    )
    async def admin_update_user(ctx: EndpointContext) -> Any:
        """Update any user's fields, each guarded by its own permission."""
        body: UpdateUserBody = ctx.body
        admin_user = await acting(ctx, {"user": ["update"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS)
        data = dict(body.data)
        if not data:
            raise AuthError(400, ErrorCode.NO_DATA_TO_UPDATE)
        if "password" in data:
            raise AuthError(400, ErrorCode.PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER)
        if "id" in data:
            raise AuthError(400, ErrorCode.USER_ID_CANNOT_BE_UPDATED)
        if "role" in data:
            if not allowed(admin_user, {"user": ["set-role"]}):
                raise AuthError(403, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE)
            data["role"] = checked_roles(data["role"])
        if any(k in data for k in ("banned", "banReason", "banExpires")):
            if not allowed(admin_user, {"user": ["ban"]}):
                raise AuthError(403, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_BAN_USERS)
            if data.get("banned") is True and body.user_id == admin_user["id"]:
                raise AuthError(400, ErrorCode.YOU_CANNOT_BAN_YOURSELF)
        if "email" in data or "emailVerified" in data:
            if not allowed(admin_user, {"user": ["set-email"]}):
                raise AuthError(403, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL)
            if "email" in data:
                email = str(data["email"]).lower()
                if not is_valid_email(email):
                    raise AuthError(400, ErrorCode.INVALID_EMAIL)
                existing = await ctx.store.find_user_by_email(email)
                if existing is not None and existing["id"] != body.user_id:
                    raise AuthError(400, ErrorCode.USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL)
                data["email"] = email
        updating = await target(ctx, body.user_id)
        if "email" in data and not may_act_as(admin_user, updating):
            # A new address the acting admin controls, then a password reset: a takeover of that admin.
            raise AuthError(403, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL)
        values = _typed(ctx, "user", data)
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

    # -- bans ----------------------------------------------------------------------------------

    class BanBody(WireBody):
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
        errors=(
            ERROR_SHAPE,
            NO_SESSION,
            ErrorDoc(400, (ErrorCode.YOU_CANNOT_BAN_YOURSELF,)),
            ErrorDoc(403, (ErrorCode.YOU_ARE_NOT_ALLOWED_TO_BAN_USERS,)),
            ErrorDoc(404, (ErrorCode.USER_NOT_FOUND,)),
        ),
    )
    async def ban_user(ctx: EndpointContext) -> Any:
        """Ban a user (optionally until ``banExpiresIn`` seconds from now); their sessions are deleted."""
        body: BanBody = ctx.body
        admin_user = await acting(ctx, {"user": ["ban"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_BAN_USERS)
        await target(ctx, body.user_id)
        if body.user_id == admin_user["id"]:
            raise AuthError(400, ErrorCode.YOU_CANNOT_BAN_YOURSELF)
        seconds = body.ban_expires_in or options.default_ban_expires_in
        try:
            expires = now() + timedelta(seconds=seconds) if seconds else None
        except (OverflowError, ValueError):
            raise AuthError(400, ErrorCode.VALIDATION_ERROR, "[body.banExpiresIn] Too big") from None
        updated = await ctx.store.update_user(
            body.user_id,
            {
                "banned": True,
                "banReason": body.ban_reason or options.default_ban_reason or "No reason",
                "banExpires": expires,
            },
        )
        await ctx.store.delete_sessions(body.user_id)
        ctx.audit("user_banned", subject_id=body.user_id, actor_id=admin_user["id"])
        return {"user": ctx.auth.public_user(updated or {})}

    class UserIdBody(WireBody):
        user_id: CoercedStr = Field(alias="userId")

    @endpoint(
        "POST",
        "/admin/unban-user",
        operation_id="unbanUser",
        body=UserIdBody,
        response=UserResponse,
        tags=TAGS,
        errors=(
            ERROR_SHAPE,
            NO_SESSION,
            ErrorDoc(403, (ErrorCode.YOU_ARE_NOT_ALLOWED_TO_BAN_USERS,)),
            ErrorDoc(404, (ErrorCode.USER_NOT_FOUND,)),
        ),
    )
    async def unban_user(ctx: EndpointContext) -> Any:
        """Lift a ban."""
        body: UserIdBody = ctx.body
        admin_user = await acting(ctx, {"user": ["ban"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_BAN_USERS)
        await target(ctx, body.user_id)
        updated = await ctx.store.update_user(body.user_id, {"banned": False, "banExpires": None, "banReason": None})
        ctx.audit("user_unbanned", subject_id=body.user_id, actor_id=admin_user["id"])
        return {"user": ctx.auth.public_user(updated or {})}

    # -- sessions ------------------------------------------------------------------------------

    class SessionsResponse(BaseModel):
        sessions: list[Session]

    @endpoint(
        "POST",
        "/admin/list-user-sessions",
        operation_id="adminListUserSessions",
        body=UserIdBody,
        response=SessionsResponse,
        tags=TAGS,
        errors=(ERROR_SHAPE, NO_SESSION, ErrorDoc(403, (ErrorCode.YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS,))),
    )
    async def list_user_sessions(ctx: EndpointContext) -> Any:
        """A user's sessions, tokens included (expired ones too, as Better Auth).

        Another admin's sessions need the ``impersonate-admins`` permission: their tokens sign in as them.
        """
        body: UserIdBody = ctx.body
        admin_user = await acting(ctx, {"session": ["list"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS)
        listed = await ctx.store.find_user_by_id(body.user_id)
        if listed is not None and not may_act_as(admin_user, listed):
            # The answer carries live session tokens: for an admin, as good as impersonating them.
            raise AuthError(403, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS)
        rows = await ctx.store.list_sessions(body.user_id, active_only=False)
        return {"sessions": [ctx.auth.public_session(r) for r in rows]}

    class SessionTokenBody(WireBody):
        session_token: StrictStr = Field(alias="sessionToken")

    @endpoint(
        "POST",
        "/admin/revoke-user-session",
        operation_id="revokeUserSession",
        body=SessionTokenBody,
        response=SuccessResponse,
        tags=TAGS,
        errors=(ERROR_SHAPE, NO_SESSION, ErrorDoc(403, (ErrorCode.YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS,))),
    )
    async def revoke_user_session(ctx: EndpointContext) -> Any:
        """Revoke one session by token."""
        body: SessionTokenBody = ctx.body
        admin_user = await acting(ctx, {"session": ["revoke"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS)
        found = await ctx.store.find_session(body.session_token)
        await ctx.store.delete_session(body.session_token)
        if found is not None:
            ctx.audit("session_revoked", subject_id=found[0]["userId"], actor_id=admin_user["id"], reason="one")
        return {"success": True}

    @endpoint(
        "POST",
        "/admin/revoke-user-sessions",
        operation_id="revokeUserSessions",
        body=UserIdBody,
        response=SuccessResponse,
        tags=TAGS,
        errors=(ERROR_SHAPE, NO_SESSION, ErrorDoc(403, (ErrorCode.YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS,))),
    )
    async def revoke_user_sessions(ctx: EndpointContext) -> Any:
        """Revoke every session of a user."""
        body: UserIdBody = ctx.body
        admin_user = await acting(ctx, {"session": ["revoke"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS)
        await ctx.store.delete_sessions(body.user_id)
        ctx.audit("session_revoked", subject_id=body.user_id, actor_id=admin_user["id"], reason="all")
        return {"success": True}

    # -- removal and passwords -----------------------------------------------------------------

    @endpoint(
        "POST",
        "/admin/remove-user",
        operation_id="removeUser",
        body=UserIdBody,
        response=SuccessResponse,
        tags=TAGS,
        errors=(
            ERROR_SHAPE,
            NO_SESSION,
            ErrorDoc(400, (ErrorCode.YOU_CANNOT_REMOVE_YOURSELF,)),
            ErrorDoc(403, (ErrorCode.YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS,)),
            ErrorDoc(404, (ErrorCode.USER_NOT_FOUND,)),
        ),
    )
    async def remove_user(ctx: EndpointContext) -> Any:
        """Delete a user with its sessions and accounts (the application's delete hooks run too)."""
        body: UserIdBody = ctx.body
        admin_user = await acting(ctx, {"user": ["delete"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS)
        if body.user_id == admin_user["id"]:
            raise AuthError(400, ErrorCode.YOU_CANNOT_REMOVE_YOURSELF)
        user = await target(ctx, body.user_id)
        await delete_account(ctx, user, actor_id=admin_user["id"])
        return {"success": True}

    class SetUserPasswordBody(WireBody):
        new_password: StrictStr = Field(alias="newPassword", min_length=1)
        user_id: CoercedStr = Field(alias="userId", min_length=1)

    @endpoint(
        "POST",
        "/admin/set-user-password",
        operation_id="setUserPassword",
        body=SetUserPasswordBody,
        response=StatusResponse,
        tags=TAGS,
        errors=(
            ERROR_SHAPE,
            NO_SESSION,
            ErrorDoc(400, (ErrorCode.PASSWORD_TOO_SHORT, ErrorCode.PASSWORD_TOO_LONG)),
            ErrorDoc(403, (ErrorCode.YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD,)),
            ErrorDoc(404, (ErrorCode.USER_NOT_FOUND,)),
        ),
    )
    async def set_user_password(ctx: EndpointContext) -> Any:
        """Set a user's password (creating the credential account when missing).

        Another admin's password needs the ``impersonate-admins`` permission (it signs in as them).
        """
        body: SetUserPasswordBody = ctx.body
        admin_user = await acting(ctx, {"user": ["set-password"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD)
        check_password_length(ctx, body.new_password)
        user = await target(ctx, body.user_id)
        if not may_act_as(admin_user, user):
            raise AuthError(403, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD)
        password_hash = await ctx.auth.hashing.hash(body.new_password)
        account = await ctx.store.find_credential_account(user["id"])
        if account is not None:
            await ctx.store.update_password(account["id"], password_hash)
        else:
            await ctx.store.create_credential_account(user["id"], password_hash)
        ctx.audit("password_changed", subject_id=user["id"], actor_id=admin_user["id"], reason="set_by_admin")
        return {"status": True}

    # -- impersonation -------------------------------------------------------------------------

    class ImpersonationResponse(BaseModel):
        session: Session
        user: User

    @endpoint(
        "POST",
        "/admin/impersonate-user",
        operation_id="impersonateUser",
        body=UserIdBody,
        response=ImpersonationResponse,
        tags=TAGS,
        errors=(
            ERROR_SHAPE,
            NO_SESSION,
            ErrorDoc(
                403, (ErrorCode.YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS, ErrorCode.YOU_CANNOT_IMPERSONATE_ADMINS)
            ),
            ErrorDoc(404, (ErrorCode.USER_NOT_FOUND,)),
        ),
    )
    async def impersonate_user(ctx: EndpointContext) -> Any:
        """Sign in as another user for ``impersonation_session_duration``; the admin session is kept aside."""
        body: UserIdBody = ctx.body
        admin_user = await acting(ctx, {"user": ["impersonate"]}, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS)
        admin_session, _ = await ctx.require_session()
        user = await target(ctx, body.user_id)
        if is_admin(user) and not may_act_as_admins(admin_user):
            raise AuthError(403, ErrorCode.YOU_CANNOT_IMPERSONATE_ADMINS)
        cookies = ctx.auth.cookies
        flag = ctx.signed_cookie(cookies.dont_remember) or ""
        # The admin's own session is kept aside in a signed cookie, for stop-impersonating.
        keep_admin = cookies.signed(cookies.admin_session, f"{admin_session['token']}:{flag}", ctx.auth.secret)
        session = await start_session(
            ctx,
            user,
            remember=False,
            expires_in=options.impersonation_session_duration,
            extra={"impersonatedBy": admin_user["id"]},
            cookies_first=(*cookies.expire_session(), keep_admin),
            audit="impersonation_started",
            actor_id=admin_user["id"],
        )
        return {"session": ctx.auth.public_session(session), "user": ctx.auth.public_user(user)}

    @endpoint(
        "POST",
        "/admin/stop-impersonating",
        operation_id="stopImpersonating",
        response=ImpersonationResponse,
        tags=TAGS,
        errors=(
            NO_SESSION,
            ErrorDoc(400, (), "You are not impersonating anyone"),
            ErrorDoc(500, (), "Failed to find admin session"),
        ),
    )
    async def stop_impersonating(ctx: EndpointContext) -> Any:
        """End an impersonation: back to the admin's own session."""
        found = await ctx.get_session(use_cache=True)
        if found is None:
            raise AuthError(401)
        session, _ = found
        if not session.get("impersonatedBy"):
            raise AuthError(400, None, "You are not impersonating anyone")
        admin_user = await ctx.store.find_user_by_id(session["impersonatedBy"])
        if admin_user is None:
            raise AuthError(500, None, "Failed to find user")
        cookies = ctx.auth.cookies
        saved = ctx.signed_cookie(cookies.admin_session)
        admin_token, _, flag = (saved or "").partition(":")
        back = await ctx.store.find_session(admin_token) if admin_token else None
        if back is None or back[0]["userId"] != admin_user["id"]:
            raise AuthError(500, None, "Failed to find admin session")
        await ctx.store.delete_session(session["token"])
        ctx.audit("impersonation_stopped", subject_id=session["userId"], actor_id=admin_user["id"])
        use_session(ctx, back[0], back[1], remember=not flag)
        ctx.set_cookie(cookies.expire(cookies.admin_session))
        return {"session": ctx.auth.public_session(back[0]), "user": ctx.auth.public_user(back[1])}

    # -- has-permission ------------------------------------------------------------------------

    class HasPermissionBody(WireBody):
        permissions: dict[str, list[StrictStr]] | None = None
        permission: dict[str, list[StrictStr]] | None = None
        user_id: CoercedStr | None = Field(None, alias="userId")
        role: StrictStr | None = None

    class HasPermissionResponse(BaseModel):
        error: str | None
        success: bool

    @endpoint(
        "POST",
        "/admin/has-permission",
        operation_id="userHasPermission",
        body=HasPermissionBody,
        response=HasPermissionResponse,
        tags=TAGS,
        errors=(ERROR_SHAPE, NO_SESSION),
    )
    async def user_has_permission(ctx: EndpointContext) -> Any:
        """Whether the signed-in user's roles allow ``permissions`` (``{"resource": ["action"]}``)."""
        body: HasPermissionBody = ctx.body
        if not body.permissions:
            raise AuthError(400, None, "invalid permission check. no permission(s) were passed.")
        found = await ctx.get_session(use_cache=False)
        if found is None:
            raise AuthError(401)
        _, user = found
        return {"error": None, "success": allowed(user, body.permissions)}

    return (
        set_role,
        get_user,
        create_user,
        admin_update_user,
        list_users,
        list_user_sessions,
        unban_user,
        ban_user,
        revoke_user_session,
        revoke_user_sessions,
        remove_user,
        set_user_password,
        impersonate_user,
        stop_impersonating,
        user_has_permission,
    )


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


def _typed(ctx: EndpointContext, table: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` restricted to the table's columns and checked against their types (dates parsed).

    The admin routes write ``data`` as given, so a wrong type must be a 400 here, not a database error.

    Raises:
        AuthError: 400 ``VALIDATION_ERROR`` naming the field.
    """
    from datetime import UTC, datetime

    from ..._dates import parse_iso
    from ...protocol.validation import js_type

    spec_table = ctx.auth.schema.tables[table]
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "id" or not spec_table.has(key):
            continue
        spec = spec_table.field(key)
        expected = {"string": "string", "boolean": "boolean", "number": "number", "date": "date"}.get(spec.type)

        def invalid(spec_type: str | None = expected, received: Any = value, name: str = key) -> AuthError:
            return AuthError(
                400,
                ErrorCode.VALIDATION_ERROR,
                f"[body.data.{name}] Invalid input: expected {spec_type}, received {js_type(received)}",
            )

        if value is None:
            if spec.required:
                raise invalid()
        elif spec.type == "string" and not isinstance(value, str):
            raise invalid()
        elif spec.type == "boolean" and not isinstance(value, bool):
            raise invalid()
        elif spec.type == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise invalid()
        elif spec.type == "date":
            try:
                if isinstance(value, str):
                    value = parse_iso(value)
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    value = datetime.fromtimestamp(value / 1000, UTC)  # a JavaScript timestamp in ms
                else:
                    raise invalid()
            except (ValueError, OverflowError, OSError):
                raise invalid() from None
        out[key] = value
    return out
