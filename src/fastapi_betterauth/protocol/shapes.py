"""The JSON shapes of Better Auth's answers, as ``TypedDict``s.

Handlers build plain dicts (rows keyed by Better Auth's field names, dates as ``datetime``) and
``protocol/wire.dumps`` writes them; these types let mypy check each dict against the answer its
endpoint declares, and give OpenAPI the same shapes. Keys are the wire names verbatim. Rows carry
plugin columns (``role``, ``banned``...) and additional fields beyond the core keys listed here.
"""

from __future__ import annotations

from datetime import datetime
from typing import NotRequired

from typing_extensions import TypedDict


class UserOut(TypedDict):
    """A ``user`` row as answered (without ``returned: false`` fields)."""

    id: str
    name: str
    email: str
    emailVerified: bool
    image: str | None
    createdAt: datetime
    updatedAt: datetime


class SessionOut(TypedDict):
    """A ``session`` row as answered, the raw token included (as Better Auth answers it)."""

    id: str
    token: str
    userId: str
    expiresAt: datetime
    createdAt: datetime
    updatedAt: datetime
    ipAddress: str | None
    userAgent: str | None


class AccountInfo(TypedDict):
    """An ``account`` as listed: never its tokens or password; the stored ``scope`` as ``scopes``."""

    id: str
    accountId: str
    providerId: str
    userId: str
    createdAt: datetime
    updatedAt: datetime
    scopes: list[str]


class StatusResponse(TypedDict):
    """``{"status": true}``."""

    status: bool


class SuccessResponse(TypedDict):
    """``{"success": true}``."""

    success: bool


class DeleteUserResponse(TypedDict):
    """``{"success": true, "message": "..."}`` (delete-user)."""

    success: bool
    message: str


class RequestPasswordResetResponse(TypedDict):
    """``{"status": true, "message": "..."}``: the same whether or not the address is registered."""

    status: bool
    message: str


class OkResponse(TypedDict):
    """``{"ok": true}``."""

    ok: bool


class SessionResponse(TypedDict):
    """``{"session": ..., "user": ...}``: get-session's answer (``needsRefresh`` with deferred refresh)."""

    session: SessionOut
    user: UserOut
    needsRefresh: NotRequired[bool]


class SessionOnlyResponse(TypedDict):
    """``{"session": ...}``."""

    session: SessionOut


class UserResponse(TypedDict):
    """``{"user": ...}``."""

    user: UserOut


class SignUpResponse(TypedDict):
    """The new user, and its session token (``null`` when sign-up does not sign in)."""

    token: str | None
    user: UserOut


class ChangePasswordResponse(TypedDict):
    """``token`` is the new session's when other sessions were revoked, else ``null``."""

    token: str | None
    user: UserOut


class SignInResponse(TypedDict):
    """Session token and user; ``url`` only when a ``callbackURL`` was given."""

    redirect: bool
    token: str
    url: NotRequired[str]
    user: UserOut


class VerifyEmailResponse(TypedDict):
    """``user`` is the updated user after an email change, ``null`` after a verification."""

    status: bool
    user: NotRequired[UserOut | None]


class SessionsResponse(TypedDict):
    """``{"sessions": [...]}``."""

    sessions: list[SessionOut]
