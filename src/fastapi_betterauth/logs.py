"""Opt-in structured logs: one JSON object per line, and a request id on every line a request causes.

Nothing here runs unless asked for; the library's default logging is the standard library's, untouched.

* ``configure_json_logging()`` puts a JSON formatter (python-json-logger, the ``json-logs`` extra) on the
  root logger, with a filter that stamps each record with the current request id.
* ``app.add_middleware(RequestLogMiddleware)`` gives each request an id (``X-Request-ID``, echoed in the
  response) and logs one access line: method, route template, status, duration. Never the raw path or
  the query string, which carry reset and verification tokens.

Audit events (``fastapi_betterauth.audit``) then come out as ``{"auth_event": {...}, "request_id": ...}``.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from typing import IO, Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REQUEST_ID_HEADER = b"x-request-id"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""A caller's id is kept only if it is this: short, and safe in a header, a log line and a shell."""

_PARAMETER = re.compile(r"{(\w+)")
_request_id: ContextVar[str | None] = ContextVar("fastapi_betterauth_request_id", default=None)
access_logger = logging.getLogger("fastapi_betterauth.access")

_JSON_LOGS_EXTRA = "pip install 'fastapi-betterauth-server[json-logs]'"
_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error")


def current_request_id() -> str | None:
    """The id of the request being served (``None`` outside ``RequestLogMiddleware``)."""
    return _request_id.get()


def accept_request_id(value: bytes | None) -> str | None:
    """The caller's ``X-Request-ID`` if it is a short safe token (1-64 of ``A-Z a-z 0-9 . _ -``), else ``None``."""
    if value is None or len(value) > 64:
        return None
    text = value.decode("latin-1")
    return text if _SAFE_REQUEST_ID.fullmatch(text) else None


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record emitted while a request is served (so audit events carry it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Stamp the record; never drops one."""
        if not hasattr(record, "request_id"):
            request_id = _request_id.get()
            if request_id is not None:
                record.request_id = request_id
        return True


class RequestLogMiddleware:
    """Pure ASGI: a request id per request, echoed in ``X-Request-ID``, and one access log line.

    ``app.add_middleware(RequestLogMiddleware)``. The line goes to ``fastapi_betterauth.access`` at INFO
    with ``request_id``, ``method``, ``route`` (the matched template, e.g. ``/api/tasks/{task_id}``;
    ``null`` when nothing matched), ``status`` and ``duration_ms``. A caller's ``X-Request-ID`` is kept
    when it is a short safe token (see :func:`accept_request_id`), otherwise replaced by a fresh one.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request with its id set; log it once the app is done."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope["headers"] if k == REQUEST_ID_HEADER), None)
        request_id = accept_request_id(incoming) or os.urandom(16).hex()  # uuid4's randomness, 5x cheaper
        header = (REQUEST_ID_HEADER, request_id.encode("ascii"))
        status = 500  # what the server answers when the app fails before responding

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                if all(name.lower() != REQUEST_ID_HEADER for name, _ in headers):  # the app's own id wins
                    message = {**message, "headers": [*headers, header]}
            await send(message)

        token = _request_id.set(request_id)
        root_path = str(scope.get("root_path", ""))
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if access_logger.isEnabledFor(logging.INFO):
                template = route_template(scope, root_path)
                method = scope["method"]
                access_logger.info(
                    "%s %s %s",
                    method,
                    template or "-",
                    status,
                    extra={
                        "request_id": request_id,
                        "method": method,
                        "route": template,
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
            _request_id.reset(token)


def route_template(scope: Scope, root_path: str = "") -> str | None:
    """The template of the route that served ``scope`` (``/api/tasks/{task_id}``), or ``None`` if none matched.

    Built from the routes' declared paths only, never from the request's path, so ids and tokens in the
    URL stay out. ``root_path`` is the scope's before routing: what a ``Mount`` added to it is prefixed.
    """
    route = scope.get("route")
    if route is None:
        return None
    # Recent FastAPI keeps included routers unflattened: the route's own path lacks the include's prefix,
    # which FastAPI records, with the full template, in its scope entry.
    fastapi_scope = scope.get("fastapi")
    effective = fastapi_scope.get("effective_route_context") if isinstance(fastapi_scope, dict) else None
    template = getattr(effective, "path_format", None) or getattr(route, "path_format", None)
    if not isinstance(template, str):
        return None
    after = str(scope.get("root_path", ""))
    mount = after[len(root_path) :] if after.startswith(root_path) else ""
    if mount and set(scope.get("path_params") or ()) - set(_PARAMETER.findall(template)):
        mount = ""  # a Mount with parameters of its own: its part of the path holds their values
    return mount + template


def configure_json_logging(
    level: int | str = "INFO", *, stream: IO[str] | None = None, uvicorn: bool = True
) -> logging.Handler:
    """Log JSON lines to ``stream`` (stderr) from the root logger, at ``level``; returns the handler.

    Opt-in, and idempotent: a second call replaces the handler of the first. Fields whose names say
    they hold a secret (``password``, ``token``, ``cookie``, ``authorization``, ``query_string``…) are
    written as ``[redacted]``, and exception messages are withheld (they can quote SQL parameters).

    ``uvicorn=True`` also sends uvicorn's own logs through this handler and silences ``uvicorn.access``,
    whose lines hold the raw path and query string (reset and verification tokens travel there): add
    ``RequestLogMiddleware`` for access lines with route templates instead. The ``httpx`` logger (outgoing
    calls, e.g. to OAuth providers) is raised to WARNING unless you set its level: its INFO lines hold
    whole URLs.

    Raises:
        ImportError: python-json-logger is not installed (the ``json-logs`` extra).
    """
    try:
        from ._json_formatter import RedactingJsonFormatter
    except ImportError as error:
        raise ImportError(f"JSON logs need python-json-logger: {_JSON_LOGS_EXTRA}") from error
    handler = _JsonLogHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(
        RedactingJsonFormatter(
            ["asctime", "levelname", "name", "message"],
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _JsonLogHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    if uvicorn:
        for name in _UVICORN_LOGGERS:
            logger = logging.getLogger(name)
            logger.handlers.clear()
            logger.propagate = True
        logging.getLogger("uvicorn.access").disabled = True
    httpx_logger = logging.getLogger("httpx")
    if httpx_logger.level == logging.NOTSET:
        httpx_logger.setLevel(logging.WARNING)  # its INFO lines hold whole outgoing URLs, query strings included
    return handler


class _JsonLogHandler(logging.StreamHandler[IO[str]]):
    """The handler ``configure_json_logging`` installs (recognised, and replaced, by a second call)."""
