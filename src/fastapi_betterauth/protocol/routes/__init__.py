"""Core endpoints, one module per Better Auth route file (``better-auth/src/api/routes``)."""

from __future__ import annotations

from ..endpoint import AnyEndpoint
from .accounts import list_user_accounts, unlink_account
from .change_email import change_email
from .change_password import change_password, set_password
from .delete_user import delete_user, delete_user_callback
from .email_verification import send_verification_email, verify_email
from .error import error
from .ok import ok
from .password_reset import request_password_reset, request_password_reset_callback, reset_password
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

BASE_ENDPOINTS: tuple[AnyEndpoint, ...] = (
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
    change_password,
    set_password,
    change_email,
    delete_user,
    delete_user_callback,
    request_password_reset,
    request_password_reset_callback,
    reset_password,
    send_verification_email,
    verify_email,
    list_user_accounts,
    unlink_account,
)
