"""The admin plugin: user management, bans and role-based access control. Mirrors better-auth/src/plugins/admin.

``admin()`` adds the ``role``, ``banned``, ``banReason``, ``banExpires`` and ``impersonatedBy`` columns,
gives new users ``default_role``, refuses sessions to banned users (403 ``BANNED_USER``; an expired ban
is lifted on the way), hides impersonation sessions from ``list-sessions``, and serves ``/admin/*``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from ...db.adapter import Row
from ...db.store import is_expired
from ...errors import AuthError, ConfigurationError, ErrorCode
from ...protocol.context import AuthContext
from ...protocol.endpoint import AuthRequest, AuthResponse
from ...protocol.plugin import Plugin
from .access import (
    ADMIN_ROLE,
    DEFAULT_AC,
    DEFAULT_ROLES,
    DEFAULT_STATEMENTS,
    USER_ROLE,
    AccessControl,
    Role,
    has_permission,
)
from .impersonation import impersonate_user, stop_impersonating
from .lockouts import clear_lockout, get_lockout
from .options import DEFAULT_BANNED_MESSAGE, EXTENSION, AdminOptions, admin_options
from .roles import set_role, user_has_permission
from .schema import ADMIN_SCHEMA
from .sessions import list_user_sessions, revoke_user_session, revoke_user_sessions
from .users import (
    admin_update_user,
    ban_user,
    create_user,
    get_user,
    list_users,
    remove_user,
    set_user_password,
    unban_user,
)

ADMIN_ENDPOINTS = (
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
    get_lockout,
    clear_lockout,
)
"""Every admin route, in Better Auth's order (then this library's lockout routes); options come from the context."""


def admin(
    *,
    default_role: str = "user",
    admin_roles: Sequence[str] = ("admin",),
    admin_user_ids: Sequence[str] = (),
    roles: Mapping[str, Role] | None = None,
    impersonation_session_duration: int = 3600,
    default_ban_reason: str | None = None,
    default_ban_expires_in: int | None = None,
    banned_user_message: str = DEFAULT_BANNED_MESSAGE,
    allow_impersonating_admins: bool = False,
    max_page_size: int = 1000,
) -> Plugin:
    """User management and role-based access control.

    Args:
        default_role: role of every new user (Better Auth ``defaultRole``).
        admin_roles: roles treated as admins (``adminRoles``); they must exist in ``roles``.
        admin_user_ids: users allowed everything whatever their role (``adminUserIds``), e.g. the first admin.
        roles: your roles, made with :class:`AccessControl` (default: ``admin`` and ``user``).
        impersonation_session_duration: seconds an impersonation session lasts.
        default_ban_reason: reason stored when a ban gives none (else "No reason").
        default_ban_expires_in: seconds a ban lasts when the request gives none (else forever).
        banned_user_message: the message of the 403 ``BANNED_USER`` answer.
        allow_impersonating_admins: let admins impersonate admins (and list their sessions, set their
            password or email, which sign in as them just the same).
        max_page_size: the most users ``/admin/list-users`` answers at once, whatever ``limit`` asks.
    """
    if max_page_size < 1:
        raise ConfigurationError("admin(max_page_size=...) must be at least 1")
    role_map = dict(roles) if roles is not None else dict(DEFAULT_ROLES)
    unknown = [r for r in admin_roles if r.lower() not in {k.lower() for k in role_map}]
    if unknown:
        raise ConfigurationError(f"admin(admin_roles=...): {unknown} are not defined in roles")
    options = AdminOptions(
        default_role=default_role,
        admin_roles=tuple(admin_roles),
        admin_user_ids=tuple(admin_user_ids),
        roles=role_map,
        custom_roles=roles is not None,
        impersonation_session_duration=impersonation_session_duration,
        default_ban_reason=default_ban_reason,
        default_ban_expires_in=default_ban_expires_in,
        banned_user_message=banned_user_message,
        allow_impersonating_admins=allow_impersonating_admins,
        max_page_size=max_page_size,
    )

    admin_ids = set(admin_user_ids)

    def init(auth: AuthContext) -> None:
        admin_ids.update(auth.settings.admin_user_ids)
        auth.extensions[EXTENSION] = replace(options, admin_user_ids=tuple(sorted(admin_ids)))
        store = auth.store

        def defaults(row: Row) -> Row:
            return {"role": options.default_role, "banned": False, **row}

        async def refuse_banned(user_id: str) -> None:
            user = await store.find_user_by_id(user_id)
            if user is None or not user.get("banned"):
                return
            if user.get("banExpires") is not None and is_expired(user, "banExpires"):
                await store.update_user(user_id, {"banned": False, "banReason": None, "banExpires": None})
                return
            raise AuthError(403, ErrorCode.BANNED_USER, options.banned_user_message)

        store.user_defaults.append(defaults)
        store.before_session_create.append(refuse_banned)

    def on_response(auth: AuthContext, request: AuthRequest, response: AuthResponse) -> None:
        # list-sessions never shows impersonation sessions.
        if request.path == "/list-sessions" and isinstance(response.body, list):
            response.body = [s for s in response.body if not (isinstance(s, dict) and s.get("impersonatedBy"))]

    return Plugin(
        id="admin",
        endpoints=ADMIN_ENDPOINTS,
        schema=ADMIN_SCHEMA,
        on_response=on_response,
        init=init,
    )


__all__ = [
    "ADMIN_ROLE",
    "DEFAULT_AC",
    "DEFAULT_ROLES",
    "DEFAULT_STATEMENTS",
    "USER_ROLE",
    "AccessControl",
    "AdminOptions",
    "Role",
    "admin",
    "admin_options",
    "has_permission",
]
