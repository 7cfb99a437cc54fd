"""CORS for a browser frontend on another origin, allowed from the trusted origins and nothing else.

Better Auth leaves CORS to the host app; a FastAPI app then needs ``CORSMiddleware`` with credentials,
the frontend's origins (wildcard patterns included) and ``expose_headers`` for the bearer and jwt
plugins' ``set-auth-token`` / ``set-auth-jwt``, or the JS client never sees them. ``auth.add_cors(app)``
does that from the one list the origin check already uses, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from ..protocol.trusted_origins import TrustedOrigins
from ..protocol.urls import parse_url

AUTH_RESPONSE_HEADERS = ("set-auth-token", "set-auth-jwt")
"""Response headers the bearer and jwt plugins set, which a cross-origin client may only read if exposed."""
DEFAULT_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class TrustedOriginsCORSMiddleware(CORSMiddleware):
    """Starlette's ``CORSMiddleware`` whose origin test is the library's trusted-origin match.

    Only http(s) origins can match (browsers send no other kind); app schemes such as ``myapp://`` are
    for redirects and never get CORS headers. With credentials on, the allowed origin is echoed, never
    ``*``.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        trusted: TrustedOrigins,
        allow_methods: Collection[str] = DEFAULT_METHODS,
        allow_headers: Collection[str] = ("*",),
        expose_headers: Collection[str] = AUTH_RESPONSE_HEADERS,
        max_age: int = 600,
    ) -> None:
        super().__init__(
            app,
            allow_origins=(),
            allow_methods=allow_methods,
            allow_headers=allow_headers,
            allow_credentials=True,
            expose_headers=expose_headers,
            max_age=max_age,
        )
        self.trusted = trusted

    def is_allowed_origin(self, origin: str) -> bool:
        """Whether a browser on ``origin`` may call with credentials: exactly the trusted-origin rule."""
        parsed = parse_url(origin)
        if parsed is None or parsed.protocol not in ("http:", "https:") or str(parsed.origin) != origin:
            return False  # not a serialised origin (a path, user-info, another scheme, "null")
        return self.trusted.has_origin(origin, str(parsed.host))
