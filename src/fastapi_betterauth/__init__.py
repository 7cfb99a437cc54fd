"""fastapi-betterauth: Better Auth 1.7.24 compatible authentication for FastAPI.

Quick start::

    from fastapi import FastAPI
    from fastapi_betterauth import AuthSettings, BetterAuth, CurrentUser, User

    auth = BetterAuth(AuthSettings(), database="sqlite+aiosqlite:///./app.db")
    app = FastAPI(lifespan=auth.lifespan)
    app.include_router(auth.router)

    @app.get("/me")
    async def me(user: CurrentUser) -> User:
        return user
"""

from ._version import __version__
from .auth import BetterAuth
from .crypto.passwords import Argon2Hasher, PasswordHasher, ScryptHasher
from .db.adapter import Adapter, SortBy, UniqueViolationError, Where
from .db.memory import MemoryAdapter
from .db.schema import FieldSpec, TableSpec
from .db.sqlalchemy import SQLAlchemyAdapter, create_engine
from .db.store import AuthStore
from .email import (
    ConsoleEmailSender,
    EmailMessage,
    EmailSender,
    EmailTemplates,
    FileOutboxSender,
    Mailer,
    SMTPEmailSender,
    SMTPSettings,
    read_outbox,
)
from .errors import AuthError, ConfigurationError, ErrorCode
from .hooks import AuthHooks
from .integration import (
    CurrentSession,
    CurrentUser,
    OptionalUser,
    create_auth_router,
    current_session,
    current_user,
    get_auth,
    optional_session,
    optional_user,
)
from .models import Account, Session, SessionAndUser, User
from .password_policy import PasswordPolicy, password_complexity
from .protocol.plugin import Plugin
from .settings import (
    AdvancedSettings,
    AuthSettings,
    ChangeEmailSettings,
    DeleteUserSettings,
    EmailPasswordSettings,
    EmailVerificationSettings,
    SessionSettings,
    UserSettings,
)

__all__ = [
    "Account",
    "Adapter",
    "AdvancedSettings",
    "Argon2Hasher",
    "AuthError",
    "AuthHooks",
    "AuthSettings",
    "AuthStore",
    "BetterAuth",
    "ChangeEmailSettings",
    "ConfigurationError",
    "ConsoleEmailSender",
    "CurrentSession",
    "CurrentUser",
    "DeleteUserSettings",
    "EmailMessage",
    "EmailPasswordSettings",
    "EmailSender",
    "EmailTemplates",
    "EmailVerificationSettings",
    "ErrorCode",
    "FieldSpec",
    "FileOutboxSender",
    "Mailer",
    "MemoryAdapter",
    "OptionalUser",
    "PasswordHasher",
    "PasswordPolicy",
    "Plugin",
    "SMTPEmailSender",
    "SMTPSettings",
    "SQLAlchemyAdapter",
    "ScryptHasher",
    "Session",
    "SessionAndUser",
    "SessionSettings",
    "SortBy",
    "TableSpec",
    "UniqueViolationError",
    "User",
    "UserSettings",
    "Where",
    "__version__",
    "create_auth_router",
    "create_engine",
    "current_session",
    "current_user",
    "get_auth",
    "optional_session",
    "optional_user",
    "password_complexity",
    "read_outbox",
]
