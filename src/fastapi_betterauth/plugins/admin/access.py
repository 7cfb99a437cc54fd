"""Better Auth's access-control model: statements (resource -> actions), roles, and the permission check.

Mirrors ``better-auth/src/plugins/access`` and ``plugins/admin/access/statement.ts``: a role grants a
set of actions per resource; a request ``{"task": ["create", "delete"]}`` is allowed when every named
resource is granted and every action in it is (``AND``, the default). A user's ``role`` column may
hold several comma-separated roles; one of them must allow the whole request. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ...errors import ConfigurationError

Statements = Mapping[str, Sequence[str]]
"""``{"resource": ["action", ...]}``."""

DEFAULT_STATEMENTS: dict[str, tuple[str, ...]] = {
    "user": (
        "create",
        "list",
        "set-role",
        "ban",
        "impersonate",
        "impersonate-admins",
        "delete",
        "set-password",
        "set-email",
        "set-phone",
        "get",
        "update",
    ),
    "session": ("list", "revoke", "delete"),
}
"""The admin plugin's resources and actions (Better Auth ``defaultStatements``)."""


@dataclass(frozen=True)
class Role:
    """A named grant: actions per resource."""

    statements: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def authorize(self, request: Mapping[str, Sequence[str]], connector: str = "AND") -> bool:
        """Whether this role allows ``request`` (all resources and actions; ``"OR"``: any resource)."""
        any_allowed = False
        for resource, actions in request.items():
            allowed = self.statements.get(resource)
            if allowed is None:
                if connector == "AND":
                    return False
                continue
            ok = bool(actions) and all(isinstance(a, str) and a in allowed for a in actions)
            if ok:
                any_allowed = True
                if connector == "OR":
                    return True
            elif connector == "AND":
                return False
        return any_allowed


class AccessControl:
    """The universe of resources and actions an application's roles are made from.

    ``ac = AccessControl({**DEFAULT_STATEMENTS, "task": ["create", "read", "delete"]})``, then
    ``ac.role({"task": ["read"]})``.
    """

    def __init__(self, statements: Statements) -> None:
        self.statements = {resource: tuple(actions) for resource, actions in statements.items()}

    def role(self, statements: Statements) -> Role:
        """A role granting ``statements``; every resource and action must exist in this access control.

        Raises:
            ConfigurationError: an unknown resource or action (a typo would silently grant nothing).
        """
        for resource, actions in statements.items():
            known = self.statements.get(resource)
            if known is None:
                raise ConfigurationError(f"unknown resource {resource!r} (known: {', '.join(self.statements)})")
            unknown = [a for a in actions if a not in known]
            if unknown:
                raise ConfigurationError(f"unknown actions {unknown} on {resource!r} (known: {', '.join(known)})")
        return Role({resource: frozenset(actions) for resource, actions in statements.items()})


DEFAULT_AC = AccessControl(DEFAULT_STATEMENTS)
ADMIN_ROLE = DEFAULT_AC.role(
    {
        "user": [a for a in DEFAULT_STATEMENTS["user"] if a != "impersonate-admins"],
        "session": list(DEFAULT_STATEMENTS["session"]),
    }
)
"""Everything except impersonating other admins."""
USER_ROLE = DEFAULT_AC.role({"user": [], "session": []})
"""Nothing."""
DEFAULT_ROLES: dict[str, Role] = {"admin": ADMIN_ROLE, "user": USER_ROLE}


def split_roles(value: object) -> list[str]:
    """The roles in a ``role`` column (``"user,admin"``) or a list."""
    if isinstance(value, str):
        return [r for r in value.split(",") if r]
    if isinstance(value, Iterable):
        return [str(r) for r in value]
    return []


def has_permission(
    *,
    user_id: str | None,
    role: object,
    permissions: Mapping[str, Sequence[str]] | None,
    roles: Mapping[str, Role] = DEFAULT_ROLES,
    admin_user_ids: Iterable[str] = (),
    default_role: str = "user",
) -> bool:
    """Better Auth's ``hasPermission``: ``admin_user_ids`` always; else one role must allow everything asked."""
    if user_id is not None and user_id in set(admin_user_ids):
        return True
    if not permissions:
        return False
    names = split_roles(role) or split_roles(default_role)
    return any(name in roles and roles[name].authorize(permissions) for name in names)
