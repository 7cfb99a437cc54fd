"""The two framework touchpoints: Starlette request -> ``AuthRequest``, ``AuthResponse`` -> Response."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import Response

from ..errors import AuthError, ErrorCode
from ..protocol.endpoint import EMPTY, AuthRequest, AuthResponse
from ..protocol.wire import dumps


class BodyTooLargeError(AuthError):
    """The request body is larger than ``settings.max_body_size``."""

    def __init__(self) -> None:
        super().__init__(413, ErrorCode.PAYLOAD_TOO_LARGE)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than ``limit`` bytes without reading it all into memory.

    Raises:
        BodyTooLargeError: when the declared or actual size exceeds ``limit``.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError()
        chunks.append(chunk)
    return b"".join(chunks)


def request_headers(request: Request) -> dict[str, str]:
    """Lower-cased headers; repeated ones joined as HTTP allows (cookies with ``; ``).

    Read from the ASGI scope's raw pairs (Latin-1, as Starlette decodes them), without building
    Starlette's ``Headers``: every auth request pays for this.
    """
    headers: dict[str, str] = {}
    for raw_key, raw_value in request.scope["headers"]:
        key = raw_key.decode("latin-1").lower()  # servers send lower case; an ASGI app in front may not
        value = raw_value.decode("latin-1")
        if key in headers:
            headers[key] = headers[key] + ("; " if key == "cookie" else ", ") + value
        else:
            headers[key] = value
    return headers


def query_dict(request: Request) -> dict[str, str | list[str]]:
    """Query parameters; repeated keys become lists, as in better-call."""
    if not request.scope.get("query_string"):
        return {}
    query: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key in query:
            current = query[key]
            query[key] = [*current, value] if isinstance(current, list) else [current, value]
        else:
            query[key] = value
    return query


def to_auth_request(request: Request, path: str, body: Any) -> AuthRequest:
    """A Starlette request as the framework-free ``AuthRequest``."""
    return AuthRequest(
        method=request.method,
        path=path,
        url_source=lambda: str(request.url),
        headers=request_headers(request),
        query=query_dict(request),
        body=body,
        params=dict(request.path_params),
        peer=request.client.host if request.client else None,
    )


def to_starlette_response(result: AuthResponse) -> Response:
    """An ``AuthResponse`` as a Starlette response, one ``Set-Cookie`` header per cookie."""
    if result.body is EMPTY:
        content = b""
    elif (
        isinstance(result.body, str) and result.content_type and not result.content_type.startswith("application/json")
    ):
        content = result.body.encode()
    else:
        content = dumps(result.body)
    response = Response(content=content, status_code=result.status)
    raw = response.raw_headers
    if result.content_type:
        # Set verbatim: Starlette would append "; charset=utf-8" to text/html, Better Auth does not.
        raw.append((b"content-type", result.content_type.encode("latin-1")))
    for name, value in result.headers:
        raw.append((name.lower().encode("latin-1"), value.encode("latin-1", errors="replace")))
    for cookie in result.cookies:
        raw.append((b"set-cookie", cookie.render().encode("latin-1")))
    return response


def error_to_response(error: AuthError) -> Response:
    """An ``AuthError`` raised by a dependency, in Better Auth's error shape."""
    body = error.body()
    response = Response(
        content=b"" if body is None else dumps(body),
        status_code=error.status,
        media_type="application/json",
    )
    for name, value in error.headers.items():
        response.headers[name] = value
    return response
