"""The only package that imports FastAPI/Starlette: router compiler, dependencies, responses."""

from __future__ import annotations

from .dependencies import (
    AUTH_ERROR_RESPONSES,
    AuthDependency,
    CurrentIdentity,
    CurrentSession,
    CurrentUser,
    OptionalUser,
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
from .responses import error_to_response
from .router import create_auth_router

__all__ = [
    "AUTH_ERROR_RESPONSES",
    "AuthDependency",
    "CurrentIdentity",
    "CurrentSession",
    "CurrentUser",
    "OptionalUser",
    "create_auth_router",
    "current_identity",
    "current_session",
    "current_user",
    "error_to_response",
    "get_auth",
    "optional_session",
    "optional_user",
    "require_jwt",
    "require_permission",
    "require_role",
]
