"""JSON for every failure: a database outage is a 503, anything unexpected a 500, never a traceback.

Logs name the failure and where it happened, never its message (which may quote user data).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route
from starlette.types import Scope

from fastapi_betterauth import redacted_traceback

logger = logging.getLogger("todo")


def allowed_methods(app: FastAPI, scope: Scope) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first matching route's)."""
    methods: set[str] = set()
    for route in app.router.routes:
        if isinstance(route, Route) and route.methods and route.matches(scope)[0] != Match.NONE:
            methods |= route.methods
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(app, request.scope))
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(OperationalError)
    async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        logger.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return JSONResponse({"detail": "Database unavailable, try again shortly"}, status_code=503)

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: Exception) -> JSONResponse:
        logger.error("database error on %s %s\n%s", request.method, request.url.path, redacted_traceback(exc))
        return JSONResponse({"detail": "Internal server error"}, status_code=500)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.error("unhandled error on %s %s\n%s", request.method, request.url.path, redacted_traceback(exc))
        return JSONResponse({"detail": "Internal server error"}, status_code=500)
