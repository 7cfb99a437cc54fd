r"""URLs parsed and serialised as browsers do: the WHATWG URL Standard, through ``ada-url``.

``ada`` is the parser inside Node.js, so these functions read a URL exactly as Better Auth's
``new URL(...)`` and every browser do. ``urllib`` does not (it reads ``https://evil.com\@app.example.com``
as host ``app.example.com``), so it is never used for a URL a browser will follow.

``append_query_params`` mirrors ``appendQueryParams`` of ``@better-auth/core/utils/url`` (existing
query text kept verbatim, used by verify-email); ``set_query_params`` mirrors
``new URL(callback, baseURL)`` + ``searchParams.set`` (used by the reset-password link, which
re-serialises the whole query). Trust decisions are not made here: see ``trusted_origins.py``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import quote

from ada_url import URL, URLSearchParams

RELATIVE_BASE = "https://better-auth.invalid"
"""The origin Better Auth resolves root-relative URLs against (``URL_REFERENCE_ORIGIN``)."""

_FORM_SAFE = "*-._"
"""Characters the WHATWG form-urlencoded serializer leaves alone (besides ASCII alphanumerics)."""


def parse_url(value: str, base: str | None = None) -> URL | None:
    """``new URL(value, base)``, or ``None`` where it would throw."""
    try:
        return URL(value, base) if base is not None else URL(value)
    except ValueError:
        return None


def origin_of(url: str) -> str | None:
    """The WHATWG origin (``scheme://host[:port]``) of an absolute http(s) URL; ``None`` otherwise."""
    parsed = parse_url(url)
    if parsed is None or parsed.protocol not in ("http:", "https:"):
        return None
    return str(parsed.origin)


def host_of(url: str) -> str | None:
    """The WHATWG hostname (lower-case, punycode, IPv6 in brackets) of an absolute http(s) URL."""
    parsed = parse_url(url)
    if parsed is None or parsed.protocol not in ("http:", "https:"):
        return None
    return str(parsed.hostname)


def is_loopback_host(hostname: str) -> bool:
    """``localhost``, ``*.localhost``, ``127.0.0.0/8`` or ``[::1]`` (a WHATWG-serialised hostname)."""
    if hostname == "localhost" or hostname.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname.removeprefix("[").removesuffix("]")).is_loopback
    except ValueError:
        return False


def form_encode(pairs: list[tuple[str, str]]) -> str:
    """``URLSearchParams.toString()``: form encoding with ``+`` for spaces."""
    return "&".join(
        f"{quote(k, safe=_FORM_SAFE).replace('%20', '+')}={quote(v, safe=_FORM_SAFE).replace('%20', '+')}"
        for k, v in pairs
    )


def _parse_absolute_or_root_relative(url: str) -> tuple[URL, bool]:
    relative = url.startswith("/")
    if url.startswith(("//", "/\\")):
        raise ValueError("expected an absolute or root-relative URL")
    parsed = parse_url(url, RELATIVE_BASE if relative else None)
    if parsed is None or (relative and parsed.origin != RELATIVE_BASE):
        raise ValueError("expected an absolute or root-relative URL")
    return parsed, relative


def append_query_params(url: str, params: Mapping[str, str]) -> str:
    """Add ``params`` after the existing query of an absolute or root-relative URL, before the fragment.

    Raises:
        ValueError: ``url`` is neither absolute nor root-relative (callers pass trusted URLs only).
    """
    parsed, relative = _parse_absolute_or_root_relative(url)
    query = form_encode(list(params.items()))
    if not query:
        return url
    search = str(parsed.search)
    separator = "" if search.endswith("&") else "&"
    parsed.search = f"{search}{separator}{query}" if search else query
    href = str(parsed.href)
    return href[len(RELATIVE_BASE) :] if relative else href


def set_query_params(url: str, base: str, params: Mapping[str, str]) -> str:
    """``new URL(url, base)`` with ``searchParams.set`` for each of ``params``, serialised.

    Raises:
        ValueError: ``url`` does not parse against ``base`` (callers pass trusted URLs only).
    """
    parsed = parse_url(url, base)
    if parsed is None:
        raise ValueError("not a URL")
    search = URLSearchParams(str(parsed.search)[1:])
    for key, value in params.items():
        search.set(key, value)
    parsed.search = str(search)
    return str(parsed.href)
