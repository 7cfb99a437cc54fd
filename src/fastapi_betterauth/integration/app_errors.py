"""One error shape for a whole app: the app's own routes answer ``{"message", "code"}`` like the auth routes.

FastAPI answers its own failures as ``{"detail": ...}`` (422 validation lists, ``HTTPException``), so an
app mounting the auth router would otherwise speak two error dialects, and a frontend's central error
handler would need both. ``install_error_handlers(app)`` renders every failure of the app's own routes in
Better Auth's shape, keeping FastAPI's statuses (422 for validation), and never answers with a
traceback or an exception's message (which may quote user data).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import ErrorCode
from ..redaction import redacted_traceback

logger = logging.getLogger("fastapi_betterauth.app")


def status_code_name(status: int) -> str:
    """``NOT_FOUND`` for 404: Better Auth's codes for plain HTTP failures are the status names."""
    try:
        return HTTPStatus(status).name
    except ValueError:
        return "ERROR"


def _status_phrase(status: int) -> str:
    """``Not Found`` for 404; ``Error`` for a status outside the standard ones (an app's 599)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _http_error_body(exc: StarletteHTTPException) -> dict[str, Any]:
    detail = exc.detail
    if isinstance(detail, dict) and isinstance(detail.get("message"), str):
        # HTTPException(404, detail={"message": "Task not found", "code": "TASK_NOT_FOUND"})
        return {"code": status_code_name(exc.status_code), **detail}
    message = detail if isinstance(detail, str) and detail else _status_phrase(exc.status_code)
    return {"message": message, "code": status_code_name(exc.status_code)}


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first matching route's)."""
    methods: set[str] = set()
    for route in app.router.routes:
        if isinstance(route, Route) and route.methods and route.matches(request.scope)[0] != Match.NONE:
            methods |= route.methods
    return sorted(methods)


def validation_body(exc: RequestValidationError) -> dict[str, Any]:
    """``[body.title] String should have at least 1 character`` per failure, and the failures as a list.

    The list keeps ``loc``, ``msg`` and ``type`` only: pydantic's ``input`` would echo what was sent
    (a password, a token) into the response and any log of it.
    """
    errors = [
        {"loc": list(error.get("loc", ())), "msg": str(error.get("msg", "")), "type": str(error.get("type", ""))}
        for error in exc.errors()
    ]
    message = "; ".join(f"[{'.'.join(str(p) for p in e['loc'])}] {e['msg']}" for e in errors) or "Invalid input"
    return {"message": message, "code": ErrorCode.VALIDATION_ERROR.value, "errors": errors}


VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "title": "HTTPValidationError",
    "type": "object",
    "required": ["message", "code", "errors"],
    "properties": {
        "message": {"type": "string", "title": "Message"},
        "code": {"type": "string", "const": "VALIDATION_ERROR", "title": "Code"},
        "errors": {
            "type": "array",
            "title": "Errors",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}
"""What the 422 answers look like, documented in place of FastAPI's ``{"detail": [...]}``."""


def _document_validation_errors(app: FastAPI) -> None:
    """Make the app's OpenAPI say what its 422 answers are (every 422 refers to ``HTTPValidationError``)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = build()
            schemas = spec.get("components", {}).get("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = VALIDATION_ERROR_SCHEMA
                schemas.pop("ValidationError", None)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


_INTERNAL_ERROR = {"message": "Internal Server Error", "code": ErrorCode.INTERNAL_SERVER_ERROR.value}


def _log_unexpected(method: str, scope: Scope, exc: BaseException) -> None:
    where = getattr(scope.get("route"), "path", None) or "an unmatched path"
    logger.error("unhandled error on %s %s\n%s", method, where, redacted_traceback(exc))


class ContainUnexpectedErrors:
    """Answer an exception that escaped every handler with the 500 body, log it redacted, and stop it there.

    Starlette's outermost ``ServerErrorMiddleware`` sends the ``Exception`` handler's answer and then
    re-raises, so the server logs the exception again with its message (which may quote user data or a
    token). Caught here, inside it, the only log line is the redacted one.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; answer 500 for what escapes, unless the answer has already begun."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:
            _log_unexpected(str(scope.get("method", "")), scope, exc)
            if not started:  # once the answer has begun, all that is left is to end it
                await JSONResponse(_INTERNAL_ERROR, status_code=500)(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Render the app's own failures as ``{"message", "code"}``, the shape the auth routes use.

    * ``HTTPException(404, "Task not found")`` → ``404 {"message": "Task not found", "code": "NOT_FOUND"}``;
      ``detail={"message": ..., "code": ...}`` picks the code.
    * Request validation → ``422 {"message": "[body.title] ...", "code": "VALIDATION_ERROR", "errors": [...]}``.
    * 405 names every allowed method in ``Allow``.
    * Anything unexpected → ``500 {"message": "Internal Server Error", "code": "INTERNAL_SERVER_ERROR"}``,
      logged with its traceback but without exception messages, and not raised on to the server (whose
      own log would print the message).

    Call it before adding middleware that should see these answers (CORS, request logs).
    """
    _document_validation_errors(app)
    app.add_middleware(ContainUnexpectedErrors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(app, request))
        return JSONResponse(_http_error_body(exc), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(validation_body(exc), status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # what fails outside ContainUnexpectedErrors (in middleware added after it)
        _log_unexpected(request.method, request.scope, exc)
        return JSONResponse(_INTERNAL_ERROR, status_code=500)
