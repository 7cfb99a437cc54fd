"""The one error vocabulary of the library.

Exception tree::

    Exception
    ├── AuthError               an answer on the wire: HTTP status + Better Auth code + message
    ├── ConfigurationError      a startup mistake (weak secret, duplicate route, bad plugin option)
    └── CryptoError             raised by the pure ``crypto`` functions
        ├── InvalidSignatureError
        └── MalformedHashError

Codes and default messages are Better Auth 1.7.24's, verbatim
(``@better-auth/core/dist/error/codes.mjs``). The HTTP status is chosen at the raise site because
Better Auth answers the same code with different statuses on different routes.
"""

from __future__ import annotations

from enum import StrEnum
from http import HTTPStatus
from typing import Any


class ErrorCode(StrEnum):
    """Wire error codes; values are Better Auth's codes verbatim."""

    USER_NOT_FOUND = "USER_NOT_FOUND"
    FAILED_TO_CREATE_USER = "FAILED_TO_CREATE_USER"
    FAILED_TO_CREATE_SESSION = "FAILED_TO_CREATE_SESSION"
    FAILED_TO_UPDATE_USER = "FAILED_TO_UPDATE_USER"
    FAILED_TO_GET_SESSION = "FAILED_TO_GET_SESSION"
    INVALID_PASSWORD = "INVALID_PASSWORD"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_EMAIL_OR_PASSWORD = "INVALID_EMAIL_OR_PASSWORD"
    INVALID_USER = "INVALID_USER"
    SOCIAL_ACCOUNT_ALREADY_LINKED = "SOCIAL_ACCOUNT_ALREADY_LINKED"
    PROVIDER_NOT_FOUND = "PROVIDER_NOT_FOUND"
    INVALID_TOKEN = "INVALID_TOKEN"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    ID_TOKEN_NOT_SUPPORTED = "ID_TOKEN_NOT_SUPPORTED"
    FAILED_TO_GET_USER_INFO = "FAILED_TO_GET_USER_INFO"
    USER_EMAIL_NOT_FOUND = "USER_EMAIL_NOT_FOUND"
    EMAIL_NOT_VERIFIED = "EMAIL_NOT_VERIFIED"
    PASSWORD_TOO_SHORT = "PASSWORD_TOO_SHORT"
    PASSWORD_TOO_LONG = "PASSWORD_TOO_LONG"
    USER_ALREADY_EXISTS = "USER_ALREADY_EXISTS"
    USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL = "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"
    EMAIL_CAN_NOT_BE_UPDATED = "EMAIL_CAN_NOT_BE_UPDATED"
    CHANGE_EMAIL_DISABLED = "CHANGE_EMAIL_DISABLED"
    CREDENTIAL_ACCOUNT_NOT_FOUND = "CREDENTIAL_ACCOUNT_NOT_FOUND"
    SESSION_EXPIRED = "SESSION_EXPIRED"
    FAILED_TO_UNLINK_LAST_ACCOUNT = "FAILED_TO_UNLINK_LAST_ACCOUNT"
    ACCOUNT_NOT_FOUND = "ACCOUNT_NOT_FOUND"
    USER_ALREADY_HAS_PASSWORD = "USER_ALREADY_HAS_PASSWORD"
    CROSS_SITE_NAVIGATION_LOGIN_BLOCKED = "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED"
    VERIFICATION_EMAIL_NOT_ENABLED = "VERIFICATION_EMAIL_NOT_ENABLED"
    EMAIL_ALREADY_VERIFIED = "EMAIL_ALREADY_VERIFIED"
    EMAIL_MISMATCH = "EMAIL_MISMATCH"
    SESSION_NOT_FRESH = "SESSION_NOT_FRESH"
    LINKED_ACCOUNT_ALREADY_EXISTS = "LINKED_ACCOUNT_ALREADY_EXISTS"
    INVALID_ORIGIN = "INVALID_ORIGIN"
    INVALID_CALLBACK_URL = "INVALID_CALLBACK_URL"
    INVALID_REDIRECT_URL = "INVALID_REDIRECT_URL"
    INVALID_ERROR_CALLBACK_URL = "INVALID_ERROR_CALLBACK_URL"
    INVALID_NEW_USER_CALLBACK_URL = "INVALID_NEW_USER_CALLBACK_URL"
    MISSING_OR_NULL_ORIGIN = "MISSING_OR_NULL_ORIGIN"
    CALLBACK_URL_REQUIRED = "CALLBACK_URL_REQUIRED"
    FAILED_TO_CREATE_VERIFICATION = "FAILED_TO_CREATE_VERIFICATION"
    FIELD_NOT_ALLOWED = "FIELD_NOT_ALLOWED"
    ASYNC_VALIDATION_NOT_SUPPORTED = "ASYNC_VALIDATION_NOT_SUPPORTED"
    OAUTH_LINK_ERROR = "OAUTH_LINK_ERROR"
    LINKING_NOT_ALLOWED = "LINKING_NOT_ALLOWED"
    LINKING_DIFFERENT_EMAILS_NOT_ALLOWED = "LINKING_DIFFERENT_EMAILS_NOT_ALLOWED"
    LINKING_FAILED = "LINKING_FAILED"
    PROVIDER_NOT_SUPPORTED = "PROVIDER_NOT_SUPPORTED"
    TOKEN_REFRESH_NOT_SUPPORTED = "TOKEN_REFRESH_NOT_SUPPORTED"
    REFRESH_TOKEN_NOT_FOUND = "REFRESH_TOKEN_NOT_FOUND"
    FAILED_TO_REFRESH_ACCESS_TOKEN = "FAILED_TO_REFRESH_ACCESS_TOKEN"
    FAILED_TO_GET_ACCESS_TOKEN = "FAILED_TO_GET_ACCESS_TOKEN"
    PROVIDER_NOT_CONFIGURED = "PROVIDER_NOT_CONFIGURED"
    ACCESS_TOKEN_NOT_FOUND = "ACCESS_TOKEN_NOT_FOUND"
    USER_ID_OR_SESSION_REQUIRED = "USER_ID_OR_SESSION_REQUIRED"
    PROVIDER_UNAVAILABLE = "PROVIDER_UNAVAILABLE"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    MISSING_FIELD = "MISSING_FIELD"
    METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED = "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED"
    BODY_MUST_BE_AN_OBJECT = "BODY_MUST_BE_AN_OBJECT"
    PASSWORD_ALREADY_SET = "PASSWORD_ALREADY_SET"
    # literal codes in core routes and the router
    UNAUTHORIZED = "UNAUTHORIZED"
    FORBIDDEN = "FORBIDDEN"
    EMAIL_PASSWORD_SIGN_UP_DISABLED = "EMAIL_PASSWORD_SIGN_UP_DISABLED"
    EMAIL_PASSWORD_DISABLED = "EMAIL_PASSWORD_DISABLED"
    RESET_PASSWORD_DISABLED = "RESET_PASSWORD_DISABLED"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    NOT_FOUND = "NOT_FOUND"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    BAD_REQUEST = "BAD_REQUEST"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    # admin plugin
    YOU_CANNOT_BAN_YOURSELF = "YOU_CANNOT_BAN_YOURSELF"
    YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE = "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE"
    YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS = "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS"
    YOU_ARE_NOT_ALLOWED_TO_LIST_USERS = "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS"
    YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS = "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS"
    YOU_ARE_NOT_ALLOWED_TO_BAN_USERS = "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS"
    YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS = "YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS"
    YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS = "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS"
    YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS = "YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS"
    YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD = "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD"
    BANNED_USER = "BANNED_USER"
    YOU_ARE_NOT_ALLOWED_TO_GET_USER = "YOU_ARE_NOT_ALLOWED_TO_GET_USER"
    NO_DATA_TO_UPDATE = "NO_DATA_TO_UPDATE"
    YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS = "YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS"
    YOU_CANNOT_REMOVE_YOURSELF = "YOU_CANNOT_REMOVE_YOURSELF"
    YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE = "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE"
    YOU_CANNOT_IMPERSONATE_ADMINS = "YOU_CANNOT_IMPERSONATE_ADMINS"
    INVALID_ROLE_TYPE = "INVALID_ROLE_TYPE"
    YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL = "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL"
    YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PHONE_NUMBER = "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PHONE_NUMBER"
    PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER = "PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER"
    USER_ID_CANNOT_BE_UPDATED = "USER_ID_CANNOT_BE_UPDATED"
    # this library's own (opt-in password policy; development without BETTER_AUTH_URL; lockout;
    # secondary storage down; a resource server without the issuer's key set; the database down)
    PASSWORD_TOO_WEAK = "PASSWORD_TOO_WEAK"
    UNTRUSTED_HOST = "UNTRUSTED_HOST"
    ACCOUNT_TEMPORARILY_LOCKED = "ACCOUNT_TEMPORARILY_LOCKED"
    STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE"
    JWKS_UNAVAILABLE = "JWKS_UNAVAILABLE"
    DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"


ERROR_MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.USER_NOT_FOUND: "User not found",
    ErrorCode.FAILED_TO_CREATE_USER: "Failed to create user",
    ErrorCode.FAILED_TO_CREATE_SESSION: "Failed to create session",
    ErrorCode.FAILED_TO_UPDATE_USER: "Failed to update user",
    ErrorCode.FAILED_TO_GET_SESSION: "Failed to get session",
    ErrorCode.INVALID_PASSWORD: "Invalid password",
    ErrorCode.INVALID_EMAIL: "Invalid email",
    ErrorCode.INVALID_EMAIL_OR_PASSWORD: "Invalid email or password",
    ErrorCode.INVALID_USER: "Invalid user",
    ErrorCode.SOCIAL_ACCOUNT_ALREADY_LINKED: "Social account already linked",
    ErrorCode.PROVIDER_NOT_FOUND: "Provider not found",
    ErrorCode.INVALID_TOKEN: "Invalid token",
    ErrorCode.TOKEN_EXPIRED: "Token expired",
    ErrorCode.ID_TOKEN_NOT_SUPPORTED: "id_token not supported",
    ErrorCode.FAILED_TO_GET_USER_INFO: "Failed to get user info",
    ErrorCode.USER_EMAIL_NOT_FOUND: "User email not found",
    ErrorCode.EMAIL_NOT_VERIFIED: "Email not verified",
    ErrorCode.PASSWORD_TOO_SHORT: "Password too short",
    ErrorCode.PASSWORD_TOO_LONG: "Password too long",
    ErrorCode.USER_ALREADY_EXISTS: "User already exists.",
    ErrorCode.USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL: "User already exists. Use another email.",
    ErrorCode.EMAIL_CAN_NOT_BE_UPDATED: "Email can not be updated",
    ErrorCode.CHANGE_EMAIL_DISABLED: "Change email is disabled",
    ErrorCode.CREDENTIAL_ACCOUNT_NOT_FOUND: "Credential account not found",
    ErrorCode.SESSION_EXPIRED: "Session expired. Re-authenticate to perform this action.",
    ErrorCode.FAILED_TO_UNLINK_LAST_ACCOUNT: "You can't unlink your last account",
    ErrorCode.ACCOUNT_NOT_FOUND: "Account not found",
    ErrorCode.USER_ALREADY_HAS_PASSWORD: "User already has a password. Provide that to delete the account.",
    ErrorCode.CROSS_SITE_NAVIGATION_LOGIN_BLOCKED: (
        "Cross-site navigation login blocked. This request appears to be a CSRF attack."
    ),
    ErrorCode.VERIFICATION_EMAIL_NOT_ENABLED: "Verification email isn't enabled",
    ErrorCode.EMAIL_ALREADY_VERIFIED: "Email is already verified",
    ErrorCode.EMAIL_MISMATCH: "Email mismatch",
    ErrorCode.SESSION_NOT_FRESH: "Session is not fresh",
    ErrorCode.LINKED_ACCOUNT_ALREADY_EXISTS: "Linked account already exists",
    ErrorCode.INVALID_ORIGIN: "Invalid origin",
    ErrorCode.INVALID_CALLBACK_URL: "Invalid callbackURL",
    ErrorCode.INVALID_REDIRECT_URL: "Invalid redirectURL",
    ErrorCode.INVALID_ERROR_CALLBACK_URL: "Invalid errorCallbackURL",
    ErrorCode.INVALID_NEW_USER_CALLBACK_URL: "Invalid newUserCallbackURL",
    ErrorCode.MISSING_OR_NULL_ORIGIN: "Missing or null Origin",
    ErrorCode.CALLBACK_URL_REQUIRED: "callbackURL is required",
    ErrorCode.FAILED_TO_CREATE_VERIFICATION: "Unable to create verification",
    ErrorCode.FIELD_NOT_ALLOWED: "Field not allowed to be set",
    ErrorCode.ASYNC_VALIDATION_NOT_SUPPORTED: "Async validation is not supported",
    ErrorCode.VALIDATION_ERROR: "Validation Error",
    ErrorCode.MISSING_FIELD: "Field is required",
    ErrorCode.METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED: (
        "POST method requires deferSessionRefresh to be enabled in session config"
    ),
    ErrorCode.BODY_MUST_BE_AN_OBJECT: "Body must be an object",
    ErrorCode.PASSWORD_ALREADY_SET: "User already has a password set",
    ErrorCode.UNAUTHORIZED: "Unauthorized",
    ErrorCode.FORBIDDEN: "Forbidden",
    ErrorCode.EMAIL_PASSWORD_SIGN_UP_DISABLED: "Email and password sign up is not enabled",
    ErrorCode.EMAIL_PASSWORD_DISABLED: "Email and password is not enabled",
    ErrorCode.RESET_PASSWORD_DISABLED: "Reset password isn't enabled",
    ErrorCode.INTERNAL_SERVER_ERROR: "Internal Server Error",
    ErrorCode.NOT_FOUND: "Not found",
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: "Unsupported media type",
    ErrorCode.BAD_REQUEST: "Bad Request",
    ErrorCode.PAYLOAD_TOO_LARGE: "Request body is too large",
    ErrorCode.PASSWORD_TOO_WEAK: "Password is too weak",
    ErrorCode.UNTRUSTED_HOST: (
        "This Host is neither localhost nor a trusted origin: set BETTER_AUTH_URL to the server's public URL"
    ),
    ErrorCode.OAUTH_LINK_ERROR: "account not linked",
    ErrorCode.PROVIDER_NOT_SUPPORTED: "Provider is not supported.",
    ErrorCode.TOKEN_REFRESH_NOT_SUPPORTED: "Provider does not support token refreshing.",
    ErrorCode.LINKING_NOT_ALLOWED: "Account not linked - linking not allowed",
    ErrorCode.LINKING_DIFFERENT_EMAILS_NOT_ALLOWED: "Account not linked - different emails not allowed",
    ErrorCode.LINKING_FAILED: "Account not linked - unable to create account",
    ErrorCode.REFRESH_TOKEN_NOT_FOUND: "Refresh token not found",
    ErrorCode.FAILED_TO_REFRESH_ACCESS_TOKEN: "Failed to refresh access token",
    ErrorCode.FAILED_TO_GET_ACCESS_TOKEN: "Failed to get a valid access token",
    ErrorCode.PROVIDER_NOT_CONFIGURED: "Account is not associated with a configured social provider.",
    ErrorCode.ACCESS_TOKEN_NOT_FOUND: "Access token not found",
    ErrorCode.USER_ID_OR_SESSION_REQUIRED: "Either userId or session is required",
    ErrorCode.PROVIDER_UNAVAILABLE: (
        "The sign-in provider is not answering. Try again later, or sign in with email and password."
    ),
    ErrorCode.ACCOUNT_TEMPORARILY_LOCKED: "Too many failed sign-in attempts. Try again later.",
    ErrorCode.STORAGE_UNAVAILABLE: "Session storage is unavailable. Try again shortly.",
    ErrorCode.JWKS_UNAVAILABLE: "The token issuer's signing keys are unavailable. Try again shortly.",
    ErrorCode.DATABASE_UNAVAILABLE: "The database is unavailable. Try again shortly.",
    ErrorCode.YOU_CANNOT_BAN_YOURSELF: "You cannot ban yourself",
    ErrorCode.YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE: "You are not allowed to change users role",
    ErrorCode.YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS: "You are not allowed to create users",
    ErrorCode.YOU_ARE_NOT_ALLOWED_TO_LIST_USERS: "You are not allowed to list users",
    ErrorCode.YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS: "You are not allowed to list users sessions",
    ErrorCode.YOU_ARE_NOT_ALLOWED_TO_BAN_USERS: "You are not allowed to ban users",
    ErrorCode.YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS: "You are not allowed to impersonate users",
    ErrorCode.YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS: "You are not allowed to revoke users sessions",
    ErrorCode.YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS: "You are not allowed to delete users",
    ErrorCode.YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD: "You are not allowed to set users password",
    ErrorCode.BANNED_USER: "You have been banned from this application",
    ErrorCode.YOU_ARE_NOT_ALLOWED_TO_GET_USER: "You are not allowed to get user",
    ErrorCode.NO_DATA_TO_UPDATE: "No data to update",
    ErrorCode.YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS: "You are not allowed to update users",
    ErrorCode.YOU_CANNOT_REMOVE_YOURSELF: "You cannot remove yourself",
    ErrorCode.YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE: "You are not allowed to set a non-existent role value",
    ErrorCode.YOU_CANNOT_IMPERSONATE_ADMINS: "You cannot impersonate admins",
    ErrorCode.INVALID_ROLE_TYPE: "Invalid role type",
    ErrorCode.YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL: "You are not allowed to update users email",
    ErrorCode.YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PHONE_NUMBER: "You are not allowed to update users phone number",
    ErrorCode.PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER: (
        "Password cannot be updated through update-user. Use the set-user-password endpoint instead"
    ),
    ErrorCode.USER_ID_CANNOT_BE_UPDATED: "User id cannot be updated",
}


class AuthError(Exception):
    """An error answer: serialised as ``{"message", "code"}`` with the given status.

    ``code=None`` gives a message-only body (Better Auth's bare-status errors such as
    ``{"message":"No fields to update"}``); ``message=None`` together with ``code=None`` gives an
    empty body, as Better Auth's admin middleware does.
    """

    def __init__(
        self,
        status: int | HTTPStatus,
        code: ErrorCode | None = None,
        message: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.status = int(status)
        self.code = code
        self.extra = extra or {}
        """More members of the JSON body, after ``message`` and ``code`` (``retryAfter`` of a lockout)."""
        if message is None and code is not None:
            message = ERROR_MESSAGES.get(code, code.value)
        self.message = message
        self.headers = headers or {}
        super().__init__(f"{self.status} {code or ''} {message or ''}".strip())

    def body(self) -> dict[str, Any] | None:
        """The JSON body, or ``None`` for an empty body."""
        if self.message is None and self.code is None:
            return None
        out: dict[str, Any] = {"message": self.message}
        if self.code is not None:
            out["code"] = self.code.value
        return {**out, **self.extra}


def storage_unavailable() -> AuthError:
    """503 while the secondary storage is down: a clear error, and no cookie is touched (nothing is lost)."""
    return AuthError(503, ErrorCode.STORAGE_UNAVAILABLE, headers={"Retry-After": "5"})


DATABASE_RETRY_AFTER = 5
"""Seconds a client is asked to wait (``Retry-After``) while the database does not answer."""


def database_unavailable() -> AuthError:
    """503 while the database cannot be reached: retry shortly; no SQL, parameter or driver text goes out."""
    return AuthError(503, ErrorCode.DATABASE_UNAVAILABLE, headers={"Retry-After": str(DATABASE_RETRY_AFTER)})


class ConfigurationError(Exception):
    """The library was configured or assembled wrongly; raised at startup, never per request."""


class CryptoError(Exception):
    """Base class of the pure crypto functions' errors."""


class InvalidSignatureError(CryptoError):
    """A signed value was tampered with, truncated, or signed with another secret."""


class MalformedHashError(CryptoError):
    """A stored password hash is not in any format this library understands."""
