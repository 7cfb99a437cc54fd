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
from .errors import AuthError, ConfigurationError, ErrorCode
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
from .protocol.plugin import Plugin
from .settings import AdvancedSettings, AuthSettings, EmailPasswordSettings, SessionSettings

__all__ = [
    "Account",
    "Adapter",
    "AdvancedSettings",
    "Argon2Hasher",
    "AuthError",
    "AuthSettings",
    "AuthStore",
    "BetterAuth",
    "ConfigurationError",
    "CurrentSession",
    "CurrentUser",
    "EmailPasswordSettings",
    "ErrorCode",
    "FieldSpec",
    "MemoryAdapter",
    "OptionalUser",
    "PasswordHasher",
    "Plugin",
    "SQLAlchemyAdapter",
    "ScryptHasher",
    "Session",
    "SessionAndUser",
    "SessionSettings",
    "SortBy",
    "TableSpec",
    "UniqueViolationError",
    "User",
    "Where",
    "__version__",
    "create_auth_router",
    "create_engine",
    "current_session",
    "current_user",
    "get_auth",
    "optional_session",
    "optional_user",
]
