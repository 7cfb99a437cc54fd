"""Core endpoints, one module per Better Auth route file (``better-auth/src/api/routes``)."""

from __future__ import annotations

from ..endpoint import Endpoint
from .error import error
from .ok import ok
from .session import (
    get_session,
    get_session_post,
    list_sessions,
    revoke_other_sessions,
    revoke_session,
    revoke_sessions,
)
from .sign_in import sign_in_email
from .sign_out import sign_out
from .sign_up import sign_up_email
from .update_session import update_session
from .update_user import update_user
from .verify_password import verify_password

BASE_ENDPOINTS: tuple[Endpoint, ...] = (
    ok,
    error,
    get_session,
    get_session_post,
    sign_up_email,
    sign_in_email,
    sign_out,
    list_sessions,
    revoke_session,
    revoke_sessions,
    revoke_other_sessions,
    update_user,
    update_session,
    verify_password,
)
