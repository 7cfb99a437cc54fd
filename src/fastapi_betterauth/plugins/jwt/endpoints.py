"""``GET /token`` and ``GET /jwks``. Mirrors better-auth/src/plugins/jwt/index.ts (protocol §9.1)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from ...errors import AuthError
from ...protocol.context import EndpointContext
from ...protocol.endpoint import Endpoint, ErrorDoc, endpoint
from ...protocol.routes._shared import UNAUTHORIZED
from .keys import JWKSKeys
from .options import JWTOptions
from .tokens import issue_token


class TokenResponse(BaseModel):
    """``{"token": "<JWT>"}``."""

    token: str


class JWK(BaseModel):
    """A public key; members depend on the key type (``crv``/``x``/``y`` or ``n``/``e``)."""

    model_config = ConfigDict(extra="allow")

    kid: str
    kty: str
    alg: str


class JWKSResponse(BaseModel):
    """The JSON Web Key Set."""

    keys: list[JWK]


def jwt_endpoints(options: JWTOptions, keys_of: Any, remote: bool) -> tuple[Endpoint, ...]:
    """The plugin's endpoints; ``keys_of(ctx)`` finds the instance's :class:`JWKSKeys`."""

    @endpoint(
        "GET",
        "/token",
        operation_id="getJSONWebToken",
        response=TokenResponse,
        auth="session",
        errors=(UNAUTHORIZED,),
        tags=("JWT",),
    )
    async def get_token(ctx: EndpointContext) -> Any:
        """A JWT for the current session, signed with the newest key of the ``/jwks`` set."""
        session, user = await ctx.require_session(use_cache=True)
        keys: JWKSKeys = keys_of(ctx)
        token = await issue_token(
            keys,
            options,
            ctx.auth.public_session(session),
            ctx.auth.public_user(user),
            ctx.auth.public_base(ctx.request),
        )
        return {"token": token}

    @endpoint(
        "GET",
        options.jwks_path,
        operation_id="getJSONWebKeySet",
        response=JWKSResponse,
        errors=(ErrorDoc(404, (), "Empty 404 when the keys are served elsewhere (remote JWKS)"),),
        tags=("JWT",),
    )
    async def get_jwks(ctx: EndpointContext) -> Any:
        """The public keys that verify this server's JWTs (including rotated keys in their grace period)."""
        if remote:
            raise AuthError(404)
        keys: JWKSKeys = keys_of(ctx)
        return {"keys": await keys.public_keys()}

    return get_token, get_jwks
