"""The router-wide origin check, the redirect-parameter check and the sign-in/up CSRF check.

Mirrors ``better-auth/dist/api/middlewares/origin-check.mjs`` (origin and fetch-metadata checks). Every URL is
judged by :func:`~.trusted_origins.trust_url`; a redirect parameter that passes is replaced in the
request by the serialisation that was judged, so handlers only ever emit the trusted string.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from ..errors import AuthError, ErrorCode
from .endpoint import AuthRequest
from .trusted_origins import TrustedOrigins, UntrustedURLError, trust_url, would_trust_without_controls

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CALLBACK_PARAMS: tuple[tuple[str, str, ErrorCode], ...] = (
    ("callbackURL", "callbackURL", ErrorCode.INVALID_CALLBACK_URL),
    ("redirectTo", "redirectURL", ErrorCode.INVALID_REDIRECT_URL),
    ("errorCallbackURL", "errorCallbackURL", ErrorCode.INVALID_ERROR_CALLBACK_URL),
    ("newUserCallbackURL", "newUserCallbackURL", ErrorCode.INVALID_NEW_USER_CALLBACK_URL),
)
CALLBACK_CODES = {label: code for _, label, code in _CALLBACK_PARAMS}


def checked_redirect(value: str, trusted: TrustedOrigins | None, *, label: str = "callbackURL") -> str:
    """The URL to emit for a redirect parameter.

    Args:
        value: the parameter as received.
        trusted: the trusted origins, or ``None`` when origin checks are disabled (syntax only).
        label: Better Auth's name for the parameter (``callbackURL``, ``redirectURL``...).

    Raises:
        AuthError: 403 ``INVALID_*_URL`` for an untrusted target; 400 for a trusted one that carries
            control characters (a malformed request, never a broken ``Location`` header).
    """
    try:
        return trust_url(value, trusted, allow_relative=True)
    except UntrustedURLError as error:
        if error.reason == "control" and would_trust_without_controls(value, trusted):
            raise AuthError(400, None, f"Invalid {label}: control characters are not allowed") from None
        raise AuthError(403, CALLBACK_CODES.get(label, ErrorCode.INVALID_CALLBACK_URL)) from None


def check_origin(request: AuthRequest, trusted: TrustedOrigins, *, force: bool = False) -> None:
    """Validate the ``Origin`` (or ``Referer``) of a state-changing request.

    Raises:
        AuthError: 403 ``MISSING_OR_NULL_ORIGIN`` or ``INVALID_ORIGIN``.
    """
    if not force and request.header("cookie") is None:
        return
    value = request.header("origin") or request.header("referer")
    if value == "null" and request.header("sec-fetch-site") == "same-origin":
        value = request.url
    if not value or value == "null":
        raise AuthError(403, ErrorCode.MISSING_OR_NULL_ORIGIN)
    try:
        trust_url(value, trusted, allow_relative=False)
    except UntrustedURLError:
        raise AuthError(403, ErrorCode.INVALID_ORIGIN) from None


def check_callback_urls(request: AuthRequest, trusted: TrustedOrigins | None) -> None:
    """Validate redirect-type parameters in the body and query, and keep what was validated.

    Raises:
        AuthError: 400 for a non-string value, 403 ``INVALID_*_URL`` for an untrusted one.
    """
    body: MutableMapping[str, Any] = request.body if isinstance(request.body, dict) else {}
    query = request.query if isinstance(request.query, dict) else {}
    for key, label, _ in _CALLBACK_PARAMS:
        sources: list[MutableMapping[str, Any]] = [body]
        if key == "callbackURL":
            sources.append(query)
        for source in sources:
            value = source.get(key)
            if value is None or value == "":
                continue
            if not isinstance(value, str):
                raise AuthError(400, None, f"Invalid {label}: expected a string")
            source[key] = checked_redirect(value, trusted, label=label)


def check_request_origin(request: AuthRequest, trusted: TrustedOrigins, *, origin_checks: bool, csrf: bool) -> None:
    """The router-wide middleware: for non-GET requests, origin then redirect parameters.

    With origin checks disabled (``advanced.disableOriginCheck``) any origin may be named, but the
    parameters are still parsed and replaced by their serialisation: never a malformed redirect.
    """
    if request.method in _SAFE_METHODS:
        return
    if csrf:
        check_origin(request, trusted)
    check_callback_urls(request, trusted if origin_checks else None)


def check_form_csrf(request: AuthRequest, trusted: TrustedOrigins) -> None:
    """Fetch-metadata CSRF check of sign-in and sign-up (Better Auth's ``formCsrfMiddleware``).

    Raises:
        AuthError: 403 ``CROSS_SITE_NAVIGATION_LOGIN_BLOCKED`` or an origin error.
    """
    if request.header("cookie") is not None:
        return  # the router-wide check already validated the origin
    site = request.header("sec-fetch-site")
    mode = request.header("sec-fetch-mode")
    dest = request.header("sec-fetch-dest")
    if site or mode or dest:
        if site == "cross-site" and mode == "navigate":
            raise AuthError(403, ErrorCode.CROSS_SITE_NAVIGATION_LOGIN_BLOCKED)
        check_origin(request, trusted, force=True)
    elif request.header("origin") or request.header("referer"):
        check_origin(request, trusted, force=True)
