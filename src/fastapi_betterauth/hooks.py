"""Application callbacks around account lifecycle events (Better Auth: ``beforeDelete``, ``onPasswordReset``...).

They let an application keep its own rows in step with the auth tables: the RAG-chat example
purges a user's conversations in ``before_delete_user``. Each receives the typed :class:`User`;
plain functions and coroutines both work. An :class:`~fastapi_betterauth.AuthError` raised by a
``before_*`` hook aborts the operation and is answered as is.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .db.adapter import Row
from .models import User

UserHook = Callable[[User], Awaitable[Any] | Any]


@dataclass(frozen=True)
class AuthHooks:
    """Optional callbacks; ``None`` means nothing to do."""

    before_delete_user: UserHook | None = None
    """Before the user row is deleted (``user.deleteUser.beforeDelete``): delete the app's rows here."""
    after_delete_user: UserHook | None = None
    """After the user, its sessions and accounts are gone (``user.deleteUser.afterDelete``)."""
    on_password_reset: UserHook | None = None
    """After a password reset succeeded (``emailAndPassword.onPasswordReset``)."""
    before_email_verification: UserHook | None = None
    """Before ``emailVerified`` is set (``emailVerification.beforeEmailVerification``)."""
    after_email_verification: UserHook | None = None
    """After the email is verified (``emailVerification.afterEmailVerification``)."""


async def run_hook(hook: UserHook | None, user: Row) -> None:
    """Call ``hook`` with the typed user, awaiting it when it is a coroutine function."""
    if hook is None:
        return
    result = hook(User.model_validate(user))
    if inspect.isawaitable(result):
        await result
