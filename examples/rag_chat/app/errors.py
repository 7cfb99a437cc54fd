"""JSON for every failure: a database outage is a 503, anything unexpected a 500, never a traceback.

Logs name the failure and where it happened, never its message (which may quote user data).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError

from fastapi_betterauth import redacted_traceback

logger = logging.getLogger("rag_chat")


def install_error_handlers(app: FastAPI) -> None:
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
