"""The request pipeline, in the order of Better Auth's router (``better-auth/src/api/to-auth-endpoints.ts``).

plugin request hooks -> router origin check -> body/query validation -> endpoint middlewares (CSRF,
session) -> handler -> plugin response hooks. Errors keep the cookies set before them.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from ..errors import AuthError, ErrorCode, database_unavailable, storage_unavailable
from ..outage import is_database_unavailable, ping_database
from ..redaction import redacted_traceback
from ..storage.secondary import StorageUnavailableError
from .context import AuthContext, EndpointContext
from .endpoint import EMPTY, AnyEndpoint, AuthRequest, AuthResponse
from .origin import check_form_csrf, check_request_origin
from .validation import validate

logger = logging.getLogger("fastapi_betterauth")


def error_response(error: AuthError) -> AuthResponse:
    """An :class:`AuthError` as an answer."""
    body = error.body()
    return AuthResponse(
        status=error.status,
        body=EMPTY if body is None else body,
        headers=list(error.headers.items()),
    )


async def _run(
    auth: AuthContext, endpoint: AnyEndpoint, request: AuthRequest, started: list[EndpointContext[Any, Any]]
) -> AuthResponse:
    settings = auth.settings.advanced
    origin_checks = not settings.disable_origin_check
    csrf_checks = not (
        settings.disable_csrf_check if settings.disable_csrf_check is not None else settings.disable_origin_check
    )
    if endpoint.http:  # server-only endpoints have no browser caller to check
        check_request_origin(
            request, auth.trusted_origins(request), origin_checks=origin_checks, csrf=origin_checks and csrf_checks
        )
    query = None if endpoint.query is None else validate(endpoint.query, dict(request.query), "query")
    body = None if endpoint.body is None else validate(endpoint.body, request.body, "body")
    ctx: EndpointContext[Any, Any] = EndpointContext(auth=auth, request=request, body=body, query=query)
    started.append(ctx)
    if endpoint.csrf and csrf_checks:
        check_form_csrf(request, auth.trusted_origins(request))
    if endpoint.auth in ("session", "sensitive", "fresh"):
        # "sensitive" endpoints always read the database; the others accept the cookie cache.
        session, _ = await ctx.require_session(use_cache=endpoint.auth != "sensitive")
        if endpoint.auth == "fresh" and not ctx.is_fresh(session):
            raise AuthError(403, ErrorCode.SESSION_NOT_FRESH)
    result = await endpoint.handler(ctx)
    response = result if isinstance(result, AuthResponse) else AuthResponse(body=result)
    response.headers[:0] = ctx.headers_out
    response.cookies[:0] = ctx.cookies_out
    return response


async def dispatch(auth: AuthContext, endpoint: AnyEndpoint, request: AuthRequest) -> AuthResponse:
    """Answer one request to one endpoint; never raises for anything a client can send."""
    for plugin in auth.plugins:
        if plugin.on_request is not None:
            request = plugin.on_request(auth, request)
    started: list[EndpointContext[Any, Any]] = []
    database_failed = False
    try:
        response = await _run(auth, endpoint, request, started)
    except AuthError as error:
        response = error_response(error)
        if started:  # cookies and headers set before the error go out with it
            response.headers[:0] = started[0].headers_out
            response.cookies[:0] = started[0].cookies_out
    except StorageUnavailableError as error:
        logger.warning("secondary storage unavailable in %s %s: %s", endpoint.method, endpoint.path, error)
        response = error_response(storage_unavailable())  # without the started cookies: keep the session
    except Exception as error:
        database_failed = is_database_unavailable(error)
        if database_failed:
            # 503 and logged once per outage (by the monitor), without the SQL its message quotes.
            auth.database_monitor.failed(error)
            response = error_response(database_unavailable())  # without the started cookies, as above
        else:
            # Never logger.exception: a database error's message carries the email or token it was given.
            logger.error("unhandled error in %s %s\n%s", endpoint.method, endpoint.path, redacted_traceback(error))
            response = error_response(AuthError(500, ErrorCode.INTERNAL_SERVER_ERROR))
    if auth.database_monitor.down and not database_failed:  # this request may not have used the database
        await auth.database_monitor.recheck(lambda: ping_database(auth.adapter))
    for plugin in auth.plugins:
        if plugin.on_response is not None:
            outcome: Any = plugin.on_response(auth, request, response)
            if inspect.isawaitable(outcome):
                await outcome
    return response
