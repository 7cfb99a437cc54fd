"""Redirect answers and the two ways Better Auth adds query parameters to a callback URL.

``append_query_params`` mirrors ``appendQueryParams`` of ``@better-auth/core/utils/url`` (existing
query text kept verbatim, used by verify-email); ``set_query_params`` mirrors
``new URL(callback, baseURL)`` + ``searchParams.set`` (used by the reset-password link, which
re-serialises the whole query).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, quote, urljoin, urlsplit, urlunsplit

from .endpoint import EMPTY, AuthResponse

_FORM_SAFE = "*-._"
"""Characters the WHATWG form-urlencoded serializer leaves alone (besides ASCII alphanumerics)."""


def redirect(url: str) -> AuthResponse:
    """A 302 to ``url`` with an empty JSON body, as better-call's ``ctx.redirect`` answers."""
    return AuthResponse(status=302, body=EMPTY, headers=[("Location", url)])


def form_encode(pairs: list[tuple[str, str]]) -> str:
    """``URLSearchParams.toString()``: form encoding with ``+`` for spaces."""
    return "&".join(
        f"{quote(k, safe=_FORM_SAFE).replace('%20', '+')}={quote(v, safe=_FORM_SAFE).replace('%20', '+')}"
        for k, v in pairs
    )


def append_query_params(url: str, params: Mapping[str, str]) -> str:
    """Add ``params`` after the existing query of an absolute or root-relative URL, before the fragment."""
    query = form_encode(list(params.items()))
    if not query:
        return url
    parts = urlsplit(url)
    separator = "" if not parts.query or parts.query.endswith("&") else "&"
    return urlunsplit(parts._replace(query=f"{parts.query}{separator}{query}" if parts.query else query))


def set_query_params(url: str, base: str, params: Mapping[str, str]) -> str:
    """Resolve ``url`` against ``base`` and set ``params`` (replacing same-named ones, keeping the rest)."""
    resolved = urljoin(base, url) if not urlsplit(url).scheme else url
    parts = urlsplit(resolved)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    for key, value in params.items():
        index = next((i for i, (k, _) in enumerate(pairs) if k == key), None)
        pairs = [(k, v) for k, v in pairs if k != key]
        pairs.insert(len(pairs) if index is None else index, (key, value))
    path = parts.path or "/"
    return urlunsplit(parts._replace(path=path, query=form_encode(pairs)))
