"""Trusted origins, the router-wide origin check and the sign-in/up CSRF check.

Mirrors ``better-auth/dist/api/middlewares/origin-check.mjs`` and
``better-auth/dist/auth/trusted-origins.mjs`` (protocol §6.1, §6.2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit

from ..errors import AuthError, ErrorCode
from .endpoint import AuthRequest

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CALLBACK_PARAMS: tuple[tuple[str, str, ErrorCode], ...] = (
    ("callbackURL", "callbackURL", ErrorCode.INVALID_CALLBACK_URL),
    ("redirectTo", "redirectURL", ErrorCode.INVALID_REDIRECT_URL),
    ("errorCallbackURL", "errorCallbackURL", ErrorCode.INVALID_ERROR_CALLBACK_URL),
    ("newUserCallbackURL", "newUserCallbackURL", ErrorCode.INVALID_NEW_USER_CALLBACK_URL),
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL, lower-cased; ``None`` otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


@lru_cache(maxsize=256)
def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".") + "$", re.IGNORECASE)


def _matches(url: str, pattern: str) -> bool:
    origin = origin_of(url)
    if "*" in pattern or "?" in pattern:
        if origin is None:
            return False
        if "://" in pattern:
            return bool(_wildcard(pattern).match(origin))
        host = origin.split("://", 1)[1]
        if re.fullmatch(r"[\d.*?]+", pattern) and not re.fullmatch(r"[\d.]+(:\d+)?", host):
            return False  # all-digit wildcard hosts only match IPv4 addresses
        return bool(_wildcard(pattern).match(host))
    if origin is not None:
        return origin == origin_of(pattern)
    # Custom schemes (myapp://, exp://) match by prefix of the configured value.
    scheme = urlsplit(pattern).scheme
    return bool(scheme) and scheme not in ("http", "https") and url.startswith(pattern)


def is_trusted(url: str, trusted: Iterable[str], *, allow_relative: bool) -> bool:
    """Whether ``url`` is a trusted origin, or (for redirect targets) a safe same-site path."""
    if allow_relative and url.startswith("/"):
        return _is_safe_relative(url)
    return any(_matches(url, pattern) for pattern in trusted)


def _is_safe_relative(url: str) -> bool:
    if url.startswith("//") or "\\" in url or _CONTROL.search(url):
        return False
    path = url.split("?", 1)[0].split("#", 1)[0].lower()
    return "%2f" not in path and "%5c" not in path


def check_origin(request: AuthRequest, trusted: Iterable[str], *, force: bool = False) -> None:
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
    if not is_trusted(value, trusted, allow_relative=False):
        raise AuthError(403, ErrorCode.INVALID_ORIGIN)


def check_callback_urls(request: AuthRequest, trusted: Iterable[str]) -> None:
    """Validate redirect-type parameters in the body and query.

    Raises:
        AuthError: 400 for a non-string value, 403 ``INVALID_*_URL`` for an untrusted one.
    """
    body = request.body if isinstance(request.body, dict) else {}
    trusted = tuple(trusted)
    for key, label, code in _CALLBACK_PARAMS:
        values = [body.get(key)]
        if key == "callbackURL":
            values.append(request.query.get(key))
        for value in values:
            if value is None or value == "":
                continue
            if not isinstance(value, str):
                raise AuthError(400, None, f"Invalid {label}: expected a string")
            if not is_trusted(value, trusted, allow_relative=True):
                raise AuthError(403, code)


def check_request_origin(request: AuthRequest, trusted: Iterable[str], *, check_origin_header: bool) -> None:
    """The router-wide middleware: for non-GET requests, origin then redirect parameters."""
    if request.method in _SAFE_METHODS:
        return
    trusted = tuple(trusted)
    if check_origin_header:
        check_origin(request, trusted)
    check_callback_urls(request, trusted)


def check_form_csrf(request: AuthRequest, trusted: Iterable[str]) -> None:
    """Fetch-metadata CSRF check of sign-in and sign-up (protocol §6.2).

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
