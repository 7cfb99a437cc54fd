"""Endpoints as data, and the framework-neutral request/response they speak.

Mirrors better-call's ``createEndpoint`` as used by ``createAuthEndpoint``: one value per route
with Better Auth's path, method and operation id verbatim. ``integration/router.py`` compiles these
into FastAPI routes; ``auth.api`` calls them directly for server-side use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from ..errors import ErrorCode

if TYPE_CHECKING:
    from .context import EndpointContext

AuthLevel = Literal["none", "optional", "session", "sensitive", "fresh"]
BodyMedia = Literal["json", "json+form"]


class _Empty:
    """Marker for a response with no body at all (not even ``null``)."""

    def __repr__(self) -> str:
        return "EMPTY"


EMPTY: Any = _Empty()


@dataclass(slots=True)
class AuthRequest:
    """What an endpoint sees of an HTTP request."""

    method: str
    path: str
    """Path relative to the base path, e.g. ``/sign-in/email``."""
    url: str
    """Full request URL (used to infer the origin when no ``base_url`` is configured)."""
    headers: Mapping[str, str]
    """Lower-cased header names."""
    query: Mapping[str, str | list[str]] = field(default_factory=dict)
    body: Any = None
    """Parsed JSON or form body; ``None`` when the request had none."""
    params: Mapping[str, str] = field(default_factory=dict)
    """Path parameters (``/reset-password/{token}``)."""
    injected_cookies: dict[str, str] = field(default_factory=dict)
    """Cookies a plugin derived from other credentials (the bearer plugin's session token).

    Read like the client's cookies, but not part of the ``Cookie`` header, so the origin check still
    sees the request as it arrived (a bearer-only request is not a cookie request)."""
    peer: str | None = None
    """TCP peer address: only ever used to key rate limits, never stored or trusted as the client IP."""

    def header(self, name: str) -> str | None:
        """A header value (names are case-insensitive)."""
        return self.headers.get(name.lower())

    def query_value(self, name: str) -> str | None:
        """First value of a query parameter."""
        value = self.query.get(name)
        if isinstance(value, list):
            return value[0] if value else None
        return value


@dataclass(frozen=True, slots=True)
class SetCookie:
    """One ``Set-Cookie`` header, rendered in better-call's attribute order."""

    name: str
    value: str
    max_age: int | None = None
    path: str = "/"
    http_only: bool = True
    secure: bool = False
    same_site: str | None = "Lax"
    domain: str | None = None

    def render(self) -> str:
        """``name=value; Max-Age=N; Domain=…; Path=/; HttpOnly; Secure; SameSite=Lax``."""
        parts = [f"{self.name}={self.value}"]
        if self.max_age is not None:
            parts.append(f"Max-Age={self.max_age}")
        if self.domain:
            parts.append(f"Domain={self.domain}")
        if self.path:
            parts.append(f"Path={self.path}")
        if self.http_only:
            parts.append("HttpOnly")
        if self.secure:
            parts.append("Secure")
        if self.same_site:
            parts.append(f"SameSite={self.same_site}")
        return "; ".join(parts)


@dataclass(slots=True)
class AuthResponse:
    """An answer: status, JSON-able body (or ``EMPTY``), extra headers and cookies."""

    status: int = 200
    body: Any = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    cookies: list[SetCookie] = field(default_factory=list)
    content_type: str | None = "application/json"

    def header(self, name: str) -> str | None:
        """First value of a response header."""
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


Handler = Callable[["EndpointContext"], Awaitable[Any]]


@dataclass(frozen=True)
class ErrorDoc:
    """A documented error response of an endpoint, for OpenAPI."""

    status: int
    codes: tuple[ErrorCode, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Endpoint:
    """One Better Auth route, as data."""

    method: str
    path: str
    handler: Handler
    operation_id: str
    name: str
    """Python name: the TS key in snake_case (``signInEmail`` -> ``sign_in_email``)."""
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None
    """Type of the 200 body, for OpenAPI."""
    auth: AuthLevel = "none"
    media: BodyMedia = "json"
    summary: str = ""
    description: str = ""
    errors: tuple[ErrorDoc, ...] = ()
    csrf: bool = False
    """Apply the fetch-metadata CSRF check (sign-in and sign-up only)."""
    tags: tuple[str, ...] = ("Default",)
    extra_methods: tuple[str, ...] = ()
    http: bool = True
    """False for server-only endpoints (``auth.api`` only, 404 over HTTP)."""
    redirect: str = ""
    """For endpoints that always answer 302: where to (documented in OpenAPI instead of a 200 body)."""
    read_body: bool = True
    """False: the body is never read or parsed (better-call ``disableBody``)."""


def endpoint(
    method: str,
    path: str,
    *,
    operation_id: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: Any = None,
    auth: AuthLevel = "none",
    media: BodyMedia = "json",
    errors: Sequence[ErrorDoc] = (),
    csrf: bool = False,
    tags: Sequence[str] = ("Default",),
    extra_methods: Sequence[str] = (),
    http: bool = True,
    redirect: str = "",
    read_body: bool = True,
) -> Callable[[Handler], Endpoint]:
    """Declare a handler as an :class:`Endpoint`; its docstring becomes the OpenAPI text."""

    def wrap(handler: Handler) -> Endpoint:
        doc = (handler.__doc__ or "").strip()
        summary, _, description = doc.partition("\n")
        return Endpoint(
            method=method,
            path=path,
            handler=handler,
            operation_id=operation_id,
            name=handler.__name__,
            body=body,
            query=query,
            response=response,
            auth=auth,
            media=media,
            summary=summary.strip(),
            description=description.strip(),
            errors=tuple(errors),
            csrf=csrf,
            tags=tuple(tags),
            extra_methods=tuple(extra_methods),
            http=http,
            redirect=redirect,
            read_body=read_body,
        )

    return wrap
