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
from .audit import AuditTrail, AuthEvent
from .auth import BetterAuth
from .crypto.jwt import ExpiredJWTError, JWTError
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
    AUTH_ERROR_RESPONSES,
    AuthDependency,
    CurrentIdentity,
    CurrentSession,
    CurrentUser,
    OptionalUser,
    create_auth_router,
    current_identity,
    current_session,
    current_user,
    get_auth,
    optional_session,
    optional_user,
    require_jwt,
    require_permission,
    require_role,
)
from .integration.app_errors import install_error_handlers
from .integration.openapi import ErrorBody
from .logs import RequestLogMiddleware, configure_json_logging, current_request_id
from .models import Account, Identity, Session, SessionAndUser, User
from .outage import is_database_unavailable
from .password_policy import PasswordPolicy, password_complexity
from .plugins import bearer, generic_oauth, jwt
from .plugins.admin import AccessControl, Role, admin, has_permission
from .plugins.jwt import KeyPairConfig, SigningOverrides
from .protocol.plugin import Plugin
from .redaction import redacted_traceback
from .resource import JWKSState, JWKSUnavailableError, JWTVerifier, ResourceServer, SessionVerifier
from .settings import (
    AccountLinkingSettings,
    AccountSettings,
    AdvancedSettings,
    AuthSettings,
    ChangeEmailSettings,
    DeleteUserSettings,
    EmailPasswordSettings,
    EmailVerificationSettings,
    LockoutSettings,
    RateLimitSettings,
    SessionSettings,
    UserSettings,
    VerificationSettings,
)
from .social import IdTokenPolicy, OAuthProvider, ProfileMapping, github, google, oidc
from .storage import MemoryStorage, SecondaryStorage, StorageUnavailableError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .storage.redis import RedisStorage


def __getattr__(name: str) -> object:
    # RedisStorage needs the optional ``redis`` package: imported only when asked for.
    if name == "RedisStorage":
        from .storage.redis import RedisStorage

        return RedisStorage
    raise AttributeError(f"module 'fastapi_betterauth' has no attribute {name!r}")


__all__ = [
    "AUTH_ERROR_RESPONSES",
    "AccessControl",
    "Account",
    "AccountLinkingSettings",
    "AccountSettings",
    "Adapter",
    "AdvancedSettings",
    "Argon2Hasher",
    "AuditTrail",
    "AuthDependency",
    "AuthError",
    "AuthEvent",
    "AuthHooks",
    "AuthSettings",
    "AuthStore",
    "BetterAuth",
    "ChangeEmailSettings",
    "ConfigurationError",
    "ConsoleEmailSender",
    "CurrentIdentity",
    "CurrentSession",
    "CurrentUser",
    "DeleteUserSettings",
    "EmailMessage",
    "EmailPasswordSettings",
    "EmailSender",
    "EmailTemplates",
    "EmailVerificationSettings",
    "ErrorBody",
    "ErrorCode",
    "ExpiredJWTError",
    "FieldSpec",
    "FileOutboxSender",
    "IdTokenPolicy",
    "Identity",
    "JWKSState",
    "JWKSUnavailableError",
    "JWTError",
    "JWTVerifier",
    "KeyPairConfig",
    "LockoutSettings",
    "Mailer",
    "MemoryAdapter",
    "MemoryStorage",
    "OAuthProvider",
    "OptionalUser",
    "PasswordHasher",
    "PasswordPolicy",
    "Plugin",
    "ProfileMapping",
    "RateLimitSettings",
    "RedisStorage",
    "RequestLogMiddleware",
    "ResourceServer",
    "Role",
    "SMTPEmailSender",
    "SMTPSettings",
    "SQLAlchemyAdapter",
    "ScryptHasher",
    "SecondaryStorage",
    "Session",
    "SessionAndUser",
    "SessionSettings",
    "SessionVerifier",
    "SigningOverrides",
    "SortBy",
    "StorageUnavailableError",
    "TableSpec",
    "UniqueViolationError",
    "User",
    "UserSettings",
    "VerificationSettings",
    "Where",
    "__version__",
    "admin",
    "bearer",
    "configure_json_logging",
    "create_auth_router",
    "create_engine",
    "current_identity",
    "current_request_id",
    "current_session",
    "current_user",
    "generic_oauth",
    "get_auth",
    "github",
    "google",
    "has_permission",
    "install_error_handlers",
    "is_database_unavailable",
    "jwt",
    "oidc",
    "optional_session",
    "optional_user",
    "password_complexity",
    "read_outbox",
    "redacted_traceback",
    "require_jwt",
    "require_permission",
    "require_role",
]
