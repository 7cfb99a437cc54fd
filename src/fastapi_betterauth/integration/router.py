"""Compiles the endpoint table into a FastAPI ``APIRouter`` mounted at the base path.

Bodies are read and validated by the protocol layer (so errors have Better Auth's exact shapes and
statuses, not FastAPI's 422), while each route still publishes its typed request body, query,
response and documented errors to OpenAPI.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, cast

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

from ..errors import AuthError, storage_unavailable
from ..protocol.dispatch import dispatch, error_response
from ..protocol.endpoint import AnyEndpoint
from ..protocol.validation import parse_body
from ..storage.secondary import StorageUnavailableError
from . import openapi
from .responses import read_body, to_auth_request, to_starlette_response

if TYPE_CHECKING:
    from ..auth import BetterAuth

_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def _openapi_extra(endpoint: AnyEndpoint, auth: BetterAuth) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    body = openapi.request_body(endpoint, auth)
    if body is not None:
        extra["requestBody"] = body
    parameters = openapi.parameters(endpoint)
    if parameters:
        extra["parameters"] = parameters
    return extra


def _route_handler(auth: BetterAuth, endpoint: AnyEndpoint) -> Callable[[Request], Awaitable[Response]]:
    ctx = auth.context

    async def handle(request: Request) -> Response:
        auth_request = to_auth_request(request, endpoint.path, None)
        try:
            # Better Auth's order: rate limit, then body parsing, then the endpoint pipeline.
            limited = await ctx.check_rate_limit(auth_request)
            if limited is not None:
                raise limited
            reads = endpoint.method != "GET" and endpoint.read_body
            raw = await read_body(request, ctx.settings.max_body_size) if reads else b""
            auth_request.body = parse_body(request.headers.get("content-type"), raw, endpoint.media)
        except AuthError as error:
            return to_starlette_response(error_response(error))
        except StorageUnavailableError:
            return to_starlette_response(error_response(storage_unavailable()))
        return to_starlette_response(await dispatch(ctx, endpoint, auth_request))

    handle.__name__ = endpoint.name
    handle.__doc__ = endpoint.handler.__doc__
    return handle


def _not_found(auth: BetterAuth) -> Callable[[Request], Awaitable[Response]]:
    ctx = auth.context
    prefix = len(auth.settings.base_path)

    async def not_found(request: Request) -> Response:
        # Better Auth answers unknown paths and wrong methods with an empty 404 (no 405, no CORS);
        # its rate limiter runs before routing, so these requests count too.
        try:
            limited = await ctx.check_rate_limit(to_auth_request(request, request.url.path[prefix:], None))
        except StorageUnavailableError:
            limited = storage_unavailable()
        if limited is not None:
            return to_starlette_response(error_response(limited))
        return Response(status_code=404)

    return not_found


class DirectRoute(APIRoute):
    """An auth route answered by its handler from the request alone.

    The handler reads, validates and answers by itself (Better Auth's statuses and shapes) and never
    raises for anything a client sends, so FastAPI's per-request dependency solving, response
    serialisation and per-route exception and exit-stack wrapping are skipped (the application's own
    middleware and exception handlers still enclose it); the route's declared body, query and response
    models still document it in OpenAPI.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The endpoint itself: ``handle(request) -> Response``."""
        return cast(Callable[[Request], Coroutine[Any, Any, Response]], self.endpoint)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Call the endpoint with the request and send its answer; anything else goes to FastAPI."""
        if scope["type"] == "http" and self.methods and scope["method"] in self.methods:
            response = await self.endpoint(Request(scope, receive, send))
            await response(scope, receive, send)
            return
        await super().handle(scope, receive, send)


class AuthRouter(APIRouter):
    """An ``APIRouter`` that declines every path outside its base path with one substring test.

    FastAPI (0.12x and later) asks an included router to match each request by trying its routes in
    turn: without this, every request of the application (``/api/tasks`` too) would first be tried
    against the ~40 auth routes. A path the auth routes can match always contains the base path.
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """``NONE`` at once for a path outside the base path; FastAPI's matching otherwise."""
        path = scope.get("path")
        if not isinstance(path, str) or self.prefix not in path:
            return Match.NONE, {}
        return super().matches(scope)


# Tried first: the requests every page and API call makes (routes are matched in order).
_HOT_PATHS = ("/get-session", "/token")


def create_auth_router(auth: BetterAuth) -> APIRouter:
    """The ``APIRouter`` serving every auth endpoint under ``settings.base_path``.

    Including it also installs ``auth.lifespan`` (merged with the app's), which publishes the
    instance to the dependencies and registers the error handler for their 401/403 answers.
    """
    router = AuthRouter(prefix=auth.settings.base_path, lifespan=auth.lifespan, route_class=DirectRoute)
    hot_first = sorted(auth.endpoints, key=lambda e: e.path not in _HOT_PATHS)  # stable: the rest keep their order
    for endpoint in hot_first:
        if not endpoint.http:
            continue
        router.add_api_route(
            endpoint.path,
            _route_handler(auth, endpoint),
            methods=[endpoint.method],
            operation_id=endpoint.operation_id,
            summary=endpoint.summary or None,
            description=endpoint.description or None,
            response_model=openapi.response_model(endpoint),
            status_code=302 if endpoint.redirect else None,
            responses=openapi.responses(endpoint, storage=auth.secondary_storage is not None),
            tags=list(endpoint.tags),
            openapi_extra=_openapi_extra(endpoint, auth),
            include_in_schema=endpoint.available is None or endpoint.available(auth.context),
        )
    router.add_api_route("/{path:path}", _not_found(auth), methods=_ALL_METHODS, include_in_schema=False)
    return router
