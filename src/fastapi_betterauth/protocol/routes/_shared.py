"""Pieces several core routes share: response models, password policy, session creation."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from ...db.schema import CORE_SCHEMA
from ...errors import AuthError, ErrorCode
from ...password_policy import weak_password_message
from ..context import AnyContext
from ..fields import typed_value
from ..origin import checked_redirect
from ..validation import js_length

PasswordFields = dict[str, Literal["new", "any"]]
"""Password fields of a body by wire name: ``new`` ones get the length policy, ``any`` ones its maximum."""


class WireBody(BaseModel):
    """Request bodies: unknown keys are kept (plugin fields), wire names are Better Auth's.

    Only wire names are read: ``{"callback_url": ...}`` is an unknown key, never the ``callbackURL``
    field, so no Python spelling can slip past the checks that look at the wire name.
    ``body_required`` makes a missing body a validation error even when every field is optional;
    ``wire_type`` is the type zod names in that message (``object`` or ``record``); the other class
    variables tell OpenAPI what validation enforces beyond the fields' types.
    """

    model_config = ConfigDict(extra="allow", validate_by_name=False, validate_by_alias=True, str_strip_whitespace=False)
    body_required: ClassVar[bool] = False
    wire_type: ClassVar[str] = "object"


CORE_USER_FIELDS = frozenset(spec.name for spec in CORE_SCHEMA["user"].fields)


def check_password_length(ctx: AnyContext, password: str, *, check_min: bool = True) -> None:
    """Better Auth's length policy, counted in UTF-16 code units like JavaScript.

    Raises:
        AuthError: 400 ``PASSWORD_TOO_SHORT`` / ``PASSWORD_TOO_LONG``.
    """
    policy = ctx.auth.settings.email_and_password
    length = js_length(password)
    if check_min and length < policy.min_password_length:
        raise AuthError(400, ErrorCode.PASSWORD_TOO_SHORT)
    if length > policy.max_password_length:
        raise AuthError(400, ErrorCode.PASSWORD_TOO_LONG)


def check_new_password(ctx: AnyContext, password: str) -> None:
    """A password being chosen: Better Auth's length limits, then the application's policy, if any.

    Raises:
        AuthError: 400 ``PASSWORD_TOO_SHORT`` / ``PASSWORD_TOO_LONG`` / ``PASSWORD_TOO_WEAK``.
    """
    check_password_length(ctx, password)
    policy = ctx.auth.password_policy
    if policy is not None:
        missing = list(policy(password))
        if missing:
            raise AuthError(400, ErrorCode.PASSWORD_TOO_WEAK, weak_password_message(missing))


def check_callback_query(ctx: AnyContext, url: str | None) -> str | None:
    """The ``originCheck(ctx => ctx.query.callbackURL)`` middleware of Better Auth's GET link routes.

    Returns:
        The URL to redirect to: the trust check's serialisation of ``url`` (``url`` itself when empty).

    Raises:
        AuthError: 403 ``INVALID_CALLBACK_URL`` for an untrusted target, 400 for a malformed one.
    """
    if not url:
        return url
    disabled = ctx.auth.settings.advanced.disable_origin_check
    return checked_redirect(url, None if disabled else ctx.auth.trusted_origins(ctx.request))


def user_input(ctx: AnyContext, data: dict[str, Any], *, action: str) -> dict[str, Any]:
    """Additional user fields from a request, checked against the schema (Better Auth ``parseUserInput``).

    Keys that are not user columns are ignored. Columns users may not set give 400
    ``FIELD_NOT_ALLOWED``; on ``create`` a column with a default is silently defaulted instead. Each
    value must fit its column's type.

    Raises:
        AuthError: 400 ``FIELD_NOT_ALLOWED``, or ``VALIDATION_ERROR`` for a value of the wrong type.
    """
    table = ctx.auth.schema.tables["user"]
    out: dict[str, Any] = {}
    for key, value in data.items():
        # Core columns are never user input here (name/image are handled by the routes): ignored, as
        # Better Auth ignores them. Only additional and plugin columns are checked.
        if not table.has(key) or key in CORE_USER_FIELDS:
            continue
        spec = table.field(key)
        if not spec.input:
            if action == "create" and (spec.default is not None or not value):
                continue
            raise AuthError(400, ErrorCode.FIELD_NOT_ALLOWED, f"{key} is not allowed to be set")
        out[key] = typed_value(spec, value, where="body")
    return out
