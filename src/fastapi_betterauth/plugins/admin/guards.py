"""What every admin route checks: who acts, with which permission, on whom.

Mirrors the permission checks of better-auth/src/plugins/admin/routes.ts: every route reads the session
from the database (the cookie cache is never trusted here) and answers an empty 401 without one, then
403 ``YOU_ARE_NOT_ALLOWED_TO_…`` without the permission. The plugin's options are reached through the
context (:func:`admin_options`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StrictStr

from ...db.adapter import Row
from ...errors import AuthError, ErrorCode
from ...protocol.context import AnyContext, AuthContext
from ...protocol.endpoint import ErrorDoc
from ...protocol.routes._shared import WireBody
from .access import has_permission, split_roles
from .options import admin_options


def _coerce_str(value: Any) -> Any:
    """Zod ``z.coerce.string()``: numbers and booleans become strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


CoercedStr = Annotated[str, BeforeValidator(_coerce_str)]
Roles = StrictStr | list[StrictStr]
NO_SESSION = ErrorDoc(401, (), "No session (an empty body, as Better Auth answers)", empty=True)
TAGS = ("Admin",)


class UserIdBody(WireBody):
    """``{"userId": ...}``."""

    user_id: CoercedStr = Field(alias="userId")


def allowed(auth: AuthContext, user: Row, permissions: Mapping[str, Sequence[str]]) -> bool:
    """Whether ``user``'s roles (or ``admin_user_ids``) grant ``permissions``."""
    options = admin_options(auth)
    return has_permission(
        user_id=user["id"],
        role=user.get("role"),
        permissions=permissions,
        roles=options.roles,
        admin_user_ids=options.admin_user_ids,
        default_role=options.default_role,
    )


async def acting(ctx: AnyContext, permissions: Mapping[str, Sequence[str]], code: ErrorCode) -> Row:
    """The signed-in user, if their roles grant ``permissions``.

    Raises:
        AuthError: an empty 401 without a session; 403 ``code`` without the permission.
    """
    found = await ctx.get_session(use_cache=False)
    if found is None:
        raise AuthError(401)
    _, user = found
    if not allowed(ctx.auth, user, permissions):
        raise AuthError(403, code)
    return user


async def acting_or_server(ctx: AnyContext, permissions: Mapping[str, Sequence[str]], code: ErrorCode) -> Row | None:
    """As :func:`acting`, but server code calling without headers acts as the server: ``None``.

    ``auth.api.create_user(body=...)`` needs no admin session (Better Auth's rule for ``createUser``), so a
    deployment script can create the first users; a request, or headers without a session, is still a 401.
    """
    if ctx.request.server_side and await ctx.get_session(use_cache=False) is None:
        return None
    return await acting(ctx, permissions, code)


async def target(ctx: AnyContext, user_id: str) -> Row:
    """The user an admin acts on.

    Raises:
        AuthError: 404 ``USER_NOT_FOUND``.
    """
    found = await ctx.store.find_user_by_id(user_id)
    if found is None:
        raise AuthError(404, ErrorCode.USER_NOT_FOUND)
    return found


def checked_roles(auth: AuthContext, value: Any) -> str:
    """A role or list of roles as stored (comma-separated), checked against the configured roles.

    Raises:
        AuthError: 400 ``INVALID_ROLE_TYPE`` or ``YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE``.
    """
    options = admin_options(auth)
    names = value if isinstance(value, list) else [value]
    for name in names:
        if not isinstance(name, str):
            raise AuthError(400, ErrorCode.INVALID_ROLE_TYPE)
        if options.custom_roles and name not in options.roles:
            raise AuthError(400, ErrorCode.YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE)
    return ",".join(names)


def is_admin(auth: AuthContext, user: Row) -> bool:
    """Whether ``user`` holds an admin role (``admin_roles``) or is one of ``admin_user_ids``."""
    options = admin_options(auth)
    roles = split_roles(user.get("role") or options.default_role)
    return any(r in options.admin_roles for r in roles) or user["id"] in options.admin_user_ids


def may_act_as_admins(auth: AuthContext, acting_user: Row) -> bool:
    """The permission to impersonate admins (``impersonate-admins``, or ``allow_impersonating_admins``)."""
    return admin_options(auth).allow_impersonating_admins or allowed(
        auth, acting_user, {"user": ["impersonate-admins"]}
    )


def may_act_as(auth: AuthContext, acting_user: Row, user: Row) -> bool:
    """Whether ``acting_user`` may obtain ``user``'s credentials (sessions, password, sign-in email).

    For another admin that takes the permission to impersonate admins: otherwise an admin who may not
    impersonate the root admin could still list its session tokens, or set its password.
    """
    return acting_user["id"] == user["id"] or not is_admin(auth, user) or may_act_as_admins(auth, acting_user)


def admin_errors(
    denied: ErrorCode | tuple[ErrorCode, ...], *more: ErrorDoc, on_a_user: bool = False
) -> tuple[ErrorDoc, ...]:
    """What an admin route answers besides its 200, for OpenAPI.

    An empty 401 without a session, 403 ``denied`` without the permission, ``more``, and with
    ``on_a_user`` 404 ``USER_NOT_FOUND`` for an unknown target.
    """
    codes = denied if isinstance(denied, tuple) else (denied,)
    docs = [NO_SESSION, ErrorDoc(403, codes), *more]
    if on_a_user:
        docs.append(ErrorDoc(404, (ErrorCode.USER_NOT_FOUND,)))
    return tuple(docs)
