"""Server-side calls without HTTP: ``await auth.api.get_session(headers=...)``.

Mirrors Better Auth's ``auth.api.*``: the same endpoint table and pipeline as HTTP requests, so a
server-side call behaves exactly like the route (origin checks included when headers carry cookies).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .errors import AuthError, ErrorCode
from .protocol.dispatch import dispatch
from .protocol.endpoint import EMPTY, AnyEndpoint, AuthRequest, AuthResponse

if TYPE_CHECKING:
    from .auth import BetterAuth

ApiCall = Callable[..., Awaitable[Any]]


class API:
    """Attribute access by endpoint name: ``auth.api.sign_in_email(body={...})``."""

    def __init__(self, auth: BetterAuth) -> None:
        self._auth = auth

    def _endpoint(self, name: str) -> AnyEndpoint:
        for candidate in self._auth.endpoints:
            if candidate.name == name:
                return candidate
        raise AttributeError(f"no auth endpoint called {name!r}")

    def __getattr__(self, name: str) -> ApiCall:
        if name.startswith("_"):
            raise AttributeError(name)
        endpoint = self._endpoint(name)

        async def call(
            *,
            body: Any = None,
            query: Mapping[str, str | list[str]] | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, str] | None = None,
            as_response: bool = False,
        ) -> Any:
            response = await self.call(endpoint, body=body, query=query, headers=headers, params=params)
            if as_response:
                return response
            if response.status >= 400:
                body_out = response.body if isinstance(response.body, dict) else {}
                code = body_out.get("code")
                raise AuthError(
                    response.status,
                    ErrorCode(code) if isinstance(code, str) and code in ErrorCode.__members__ else None,
                    body_out.get("message"),
                )
            return None if response.body is EMPTY else response.body

        call.__name__ = name
        call.__doc__ = endpoint.handler.__doc__
        return call

    async def call(
        self,
        endpoint: AnyEndpoint,
        *,
        body: Any = None,
        query: Mapping[str, str | list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> AuthResponse:
        """Run ``endpoint`` as if it were requested over HTTP; return the full answer."""
        ctx = self._auth.context
        base = ctx.settings.base_url or "http://localhost"
        path = endpoint.path
        for key, value in (params or {}).items():
            path = path.replace("{" + key + "}", quote(value, safe=""))
        request = AuthRequest(
            method=endpoint.method,
            path=endpoint.path,
            url_source=base + ctx.settings.base_path + path,
            headers={k.lower(): v for k, v in (headers or {}).items()},
            query=dict(query or {}),
            body=body,
            params=dict(params or {}),
            server_side=headers is None,
        )
        return await dispatch(ctx, endpoint, request)
