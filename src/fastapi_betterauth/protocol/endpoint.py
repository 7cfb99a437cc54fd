"""Endpoints as data, and the framework-neutral request/response they speak.

Mirrors better-call's ``createEndpoint`` as used by ``createAuthEndpoint``: one value per route
with Better Auth's path, method and operation id verbatim. ``integration/router.py`` compiles these
into FastAPI routes; ``auth.api`` calls them directly for server-side use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

from typing_extensions import TypedDict, Unpack

from ..errors import ErrorCode

if TYPE_CHECKING:
    from typing import TypeAlias

    from .context import AuthContext, EndpointContext

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
    url_source: str | Callable[[], str]
    """The full request URL, or what builds it: a framework's URL object is built only if it is read."""
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
    server_side: bool = False
    """A server-side call without request headers (``auth.api.x(body=...)``): no browser, no session."""

    @property
    def url(self) -> str:
        """Full request URL (read only to infer the origin when no ``base_url`` is configured)."""
        source = self.url_source
        if not isinstance(source, str):
            source = self.url_source = source()
        return source

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


B = TypeVar("B")
"""An endpoint's body model (``None`` for endpoints without a body)."""
Q = TypeVar("Q")
"""An endpoint's query model (``None`` for endpoints without query parameters)."""
R = TypeVar("R")
"""What an endpoint's handler answers with on success (besides an ``AuthResponse``)."""
T = TypeVar("T")

if TYPE_CHECKING:
    Handler: TypeAlias = Callable[[EndpointContext[B, Q]], Awaitable[R | AuthResponse]]
    """A handler: receives the call with its validated body and query, returns its answer."""


@dataclass(frozen=True)
class Nullable(Generic[T]):
    """The answer ``T`` or JSON ``null`` (get-session), for ``endpoint(response=nullable(T))``."""

    of: Callable[..., T]

    def __call__(self, *args: Any, **kwargs: Any) -> T | None:
        """Never called: it exists so that mypy reads the declaration as ``T | None``."""
        raise TypeError("a response declaration, not a constructor")


def nullable(kind: Callable[..., T]) -> Callable[..., T | None]:
    """Declare an answer that is ``kind`` or ``null``."""
    return Nullable(kind)


@dataclass(frozen=True)
class ErrorDoc:
    """A documented error response of an endpoint, for OpenAPI."""

    status: int
    codes: tuple[ErrorCode, ...] = ()
    description: str = ""
    empty: bool = False
    """The answer has no body at all (Better Auth's admin routes answer 401 so)."""


@dataclass(frozen=True)
class Endpoint(Generic[B, Q, R]):
    """One Better Auth route, as data: the handler is typed by the body, query and answer it declares."""

    method: str
    path: str
    handler: Handler[B, Q, R]
    operation_id: str
    name: str
    """Python name: the TS key in snake_case (``signInEmail`` -> ``sign_in_email``)."""
    body: type[B] | None = None
    query: type[Q] | None = None
    response: Callable[..., R] | None = None
    """Type of the 200 body, for OpenAPI (a TypedDict, ``list[...]``, ``str`` or ``nullable(...)``)."""
    auth: AuthLevel = "none"
    media: BodyMedia = "json"
    summary: str = ""
    description: str = ""
    errors: tuple[ErrorDoc, ...] = ()
    csrf: bool = False
    """Apply the fetch-metadata CSRF check (sign-in and sign-up only)."""
    tags: tuple[str, ...] = ("Auth",)
    http: bool = True
    """False for server-only endpoints (``auth.api`` only, 404 over HTTP)."""
    redirect: str = ""
    """For endpoints that always answer 302: where to (documented in OpenAPI instead of a 200 body)."""
    read_body: bool = True
    """False: the body is never read or parsed (better-call ``disableBody``)."""
    answer_media: str = "application/json"
    """Media type of the 200 answer (the error page answers HTML)."""
    available: Callable[[AuthContext], bool] | None = None
    """Whether this server's configuration serves the route; OpenAPI leaves out those it does not (they
    answer Better Auth's "disabled" error)."""


AnyEndpoint = Endpoint[Any, Any, Any]
"""An endpoint of any body, query and answer: what tables of endpoints hold."""


class _Options(TypedDict, total=False):
    auth: AuthLevel
    media: BodyMedia
    errors: Sequence[ErrorDoc]
    csrf: bool
    tags: Sequence[str]
    http: bool
    redirect: str
    read_body: bool
    answer_media: str
    available: Callable[[AuthContext], bool]


@overload
def endpoint(
    method: str,
    path: str,
    *,
    operation_id: str,
    body: type[B],
    query: type[Q],
    response: Callable[..., R],
    **options: Unpack[_Options],
) -> Callable[[Handler[B, Q, R]], Endpoint[B, Q, R]]: ...
@overload
def endpoint(
    method: str,
    path: str,
    *,
    operation_id: str,
    body: type[B],
    query: None = None,
    response: Callable[..., R],
    **options: Unpack[_Options],
) -> Callable[[Handler[B, None, R]], Endpoint[B, None, R]]: ...
@overload
def endpoint(
    method: str,
    path: str,
    *,
    operation_id: str,
    body: None = None,
    query: type[Q],
    response: Callable[..., R],
    **options: Unpack[_Options],
) -> Callable[[Handler[None, Q, R]], Endpoint[None, Q, R]]: ...
@overload
def endpoint(
    method: str,
    path: str,
    *,
    operation_id: str,
    body: None = None,
    query: None = None,
    response: Callable[..., R],
    **options: Unpack[_Options],
) -> Callable[[Handler[None, None, R]], Endpoint[None, None, R]]: ...
def endpoint(
    method: str,
    path: str,
    *,
    operation_id: str,
    body: type[Any] | None = None,
    query: type[Any] | None = None,
    response: Callable[..., Any],
    **options: Unpack[_Options],
) -> Callable[[Handler[Any, Any, Any]], AnyEndpoint]:
    """Declare a handler as an :class:`Endpoint`; its docstring becomes the OpenAPI text.

    mypy checks the handler against the declaration: its context is ``EndpointContext[body, query]``
    and it answers ``response`` (or an ``AuthResponse``). Endpoints that only ever redirect declare
    ``response=Redirect``.
    """

    def wrap(handler: Handler[Any, Any, Any]) -> AnyEndpoint:
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
            auth=options.get("auth", "none"),
            media=options.get("media", "json"),
            summary=summary.strip(),
            description=description.strip(),
            errors=tuple(options.get("errors", ())),
            csrf=options.get("csrf", False),
            tags=tuple(options.get("tags", ("Auth",))),
            http=options.get("http", True),
            redirect=options.get("redirect", ""),
            read_body=options.get("read_body", True),
            answer_media=options.get("answer_media", "application/json"),
            available=options.get("available"),
        )

    return wrap


class Redirect(TypedDict):
    """The answer of an endpoint that only ever redirects (its handler returns an ``AuthResponse``)."""
