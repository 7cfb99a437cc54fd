"""The bearer plugin: ``Authorization: Bearer <token>`` instead of the cookie. Mirrors better-auth/src/plugins/bearer.

Incoming, a signed value (``<token>.<signature>``, URL-encoded or not) or, unless
``require_signature``, a raw session token is checked and used as the session cookie; anything
that does not verify is ignored (the real cookies apply). Outgoing, every answer that sets the
session cookie also carries ``set-auth-token``.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import unquote

from ..protocol.context import AuthContext
from ..protocol.credentials import bearer_session
from ..protocol.endpoint import AuthRequest, AuthResponse
from ..protocol.plugin import Plugin


def bearer(*, require_signature: bool = False) -> Plugin:
    """Accept session tokens in ``Authorization: Bearer`` and expose them in ``set-auth-token``.

    Args:
        require_signature: refuse raw (unsigned) session tokens (Better Auth ``requireSignature``).
    """

    def on_request(auth: AuthContext, request: AuthRequest) -> AuthRequest:
        found = bearer_session(
            request.headers, secret=auth.secret, secrets=auth.secrets, require_signature=require_signature
        )
        if found is not None:
            request.injected_cookies[auth.cookies.session_token] = found.signed
        return request

    def on_response(auth: AuthContext, request: AuthRequest, response: AuthResponse) -> None:
        for cookie in reversed(response.cookies):
            if cookie.name == auth.cookies.session_token:
                if cookie.value and cookie.max_age != 0:
                    response.headers.append(("set-auth-token", unquote(cookie.value)))
                    expose_header(response, "set-auth-token")
                return

    def init(auth: AuthContext) -> None:
        auth.credentials = replace(auth.credentials, accept_bearer=True, require_signature=require_signature)

    return Plugin(id="bearer", on_request=on_request, on_response=on_response, init=init)


def expose_header(response: AuthResponse, name: str) -> None:
    """Add ``name`` to ``Access-Control-Expose-Headers`` (merged, as Better Auth does)."""
    existing = [v for k, v in response.headers if k.lower() == "access-control-expose-headers"]
    names: list[str] = []
    for value in existing:
        names.extend(part.strip() for part in value.split(",") if part.strip())
    if name not in names:
        # Better Auth's jwt hook runs before the bearer one: "set-auth-jwt, set-auth-token".
        names.insert(0, name) if name == "set-auth-jwt" else names.append(name)
    response.headers[:] = [(k, v) for k, v in response.headers if k.lower() != "access-control-expose-headers"]
    response.headers.append(("Access-Control-Expose-Headers", ", ".join(names)))
