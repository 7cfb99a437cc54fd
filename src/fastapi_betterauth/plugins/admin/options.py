"""Options of the admin plugin (Better Auth: ``admin({...})``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .access import DEFAULT_ROLES, Role

DEFAULT_BANNED_MESSAGE = (
    "You have been banned from this application. Please contact support if you believe this is an error."
)


@dataclass(frozen=True)
class AdminOptions:
    """See :func:`fastapi_betterauth.admin`."""

    default_role: str = "user"
    admin_roles: tuple[str, ...] = ("admin",)
    admin_user_ids: tuple[str, ...] = ()
    roles: Mapping[str, Role] = field(default_factory=lambda: dict(DEFAULT_ROLES))
    custom_roles: bool = False
    """Whether ``roles`` was configured (then unknown role names are refused when set)."""
    impersonation_session_duration: int = 3600
    default_ban_reason: str | None = None
    default_ban_expires_in: int | None = None
    banned_user_message: str = DEFAULT_BANNED_MESSAGE
    allow_impersonating_admins: bool = False
    max_page_size: int = 1000


EXTENSION = "admin"


def admin_options(auth: Any) -> AdminOptions:
    """The admin plugin's options of an instance (``BetterAuth`` or its context), or the defaults without it.

    ``admin_user_ids`` there includes the settings' (``BETTER_AUTH_ADMIN_USER_IDS``).
    """
    context = getattr(auth, "context", auth)
    found = getattr(context, "extensions", {}).get(EXTENSION)
    return found if isinstance(found, AdminOptions) else AdminOptions()
