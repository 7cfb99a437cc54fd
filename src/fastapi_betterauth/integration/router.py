"""Compiles the endpoint table into a FastAPI ``APIRouter`` mounted at the base path.

Bodies are read and validated by the protocol layer (so errors have Better Auth's exact shapes and
statuses, not FastAPI's 422), while each route still publishes its typed request body, query,
response and documented errors to OpenAPI.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.responses import Response

from ..errors import ERROR_MESSAGES, AuthError
from ..protocol.dispatch import dispatch, error_response
from ..protocol.endpoint import AnyEndpoint, Nullable, Redirect
from ..protocol.validation import parse_body
from .responses import read_body, to_auth_request, to_starlette_response

if TYPE_CHECKING:
    from ..auth import BetterAuth

_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class ErrorBody(BaseModel):
    """Better Auth's error shape."""

    message: str
    code: str | None = None


def _openapi_extra(endpoint: AnyEndpoint) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", endpoint.path)
    ]
    if endpoint.body is not None:
        schema = endpoint.body.model_json_schema(by_alias=True, mode="validation")
        required = any(f.is_required() for f in endpoint.body.model_fields.values())
        content = {"application/json": {"schema": schema}}
        if endpoint.media == "json+form":
            content["application/x-www-form-urlencoded"] = {"schema": schema}
        extra["requestBody"] = {"required": required, "content": content}
    if endpoint.query is not None:
        schema = endpoint.query.model_json_schema(by_alias=True, mode="validation")
        required_names = set(schema.get("required", []))
        parameters += [
            {"name": name, "in": "query", "required": name in required_names, "schema": prop}
            for name, prop in schema.get("properties", {}).items()
        ]
    if parameters:
        extra["parameters"] = parameters
    return extra


def _responses(endpoint: AnyEndpoint) -> dict[int | str, dict[str, Any]]:
    responses: dict[int | str, dict[str, Any]] = {}
    if endpoint.redirect:
        responses[302] = {
            "description": endpoint.redirect,
            "headers": {"Location": {"schema": {"type": "string"}, "description": "The redirect target"}},
        }
    for doc in endpoint.errors:
        entry = responses.setdefault(doc.status, {"model": ErrorBody, "description": ""})
        codes = ", ".join(f"`{c.value}` ({ERROR_MESSAGES.get(c, '')})" for c in doc.codes)
        text = " ".join(part for part in (doc.description, codes) if part)
        entry["description"] = "; ".join(p for p in (entry["description"], text) if p) or "Error"
    return responses


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
        limited = await ctx.check_rate_limit(to_auth_request(request, request.url.path[prefix:], None))
        if limited is not None:
            return to_starlette_response(error_response(limited))
        return Response(status_code=404)

    return not_found


def _response_model(endpoint: AnyEndpoint) -> Any:
    """The type OpenAPI documents for a 200 answer (none for endpoints that only redirect)."""
    declared = endpoint.response
    if declared is Redirect or endpoint.redirect:
        return None
    if isinstance(declared, Nullable):
        kind: Any = declared.of
        return kind | None
    return declared


def create_auth_router(auth: BetterAuth) -> APIRouter:
    """The ``APIRouter`` serving every auth endpoint under ``settings.base_path``.

    Including it also installs ``auth.lifespan`` (merged with the app's), which publishes the
    instance to the dependencies and registers the error handler for their 401/403 answers.
    """
    router = APIRouter(prefix=auth.settings.base_path, lifespan=auth.lifespan)
    for endpoint in auth.endpoints:
        if not endpoint.http:
            continue
        router.add_api_route(
            endpoint.path,
            _route_handler(auth, endpoint),
            methods=[endpoint.method],
            operation_id=endpoint.operation_id,
            summary=endpoint.summary or None,
            description=endpoint.description or None,
            response_model=_response_model(endpoint),
            status_code=302 if endpoint.redirect else None,
            responses=_responses(endpoint),
            tags=list(endpoint.tags),
            openapi_extra=_openapi_extra(endpoint),
        )
    router.add_api_route("/{path:path}", _not_found(auth), methods=_ALL_METHODS, include_in_schema=False)
    return router
