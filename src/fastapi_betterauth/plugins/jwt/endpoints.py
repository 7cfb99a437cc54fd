"""``GET /token`` and ``GET /jwks``. Mirrors better-auth/src/plugins/jwt/index.ts.

The plugin's options and keys are reached through the context (``jwt_extension(ctx.auth)``); the
``/jwks`` path is an option, so ``jwt()`` mounts ``get_jwks`` at the configured one.
"""

from __future__ import annotations

from typing import Any, cast

from typing_extensions import TypedDict

from ...errors import AuthError
from ...protocol.context import AuthContext, EndpointContext
from ...protocol.endpoint import AuthResponse, ErrorDoc, endpoint
from ...storage import MemoryStorage
from .keys import JWKSKeys
from .options import JWTOptions
from .revocation import RevocationList
from .tokens import LocalVerifier, issue_token

EXTENSION = "jwt"


class JWTExtension:
    """Per-instance state: the options, the key store and the local verifier."""

    def __init__(self, options: JWTOptions, auth: AuthContext) -> None:
        self.options = options
        self.keys = JWKSKeys(options, auth.adapter, auth.secret_config)
        self.verifier = LocalVerifier(self.keys, options)
        self.revocations: RevocationList | None = None
        if options.revocation:
            storage = auth.store.cache.storage if auth.store.cache is not None else MemoryStorage()
            self.revocations = RevocationList(storage, token_lifetime=options.expiration_time)
            auth.store.on_sessions_ended.append(self.revocations.sessions_ended)

    async def verify(self, token: str, base: str) -> dict[str, Any]:
        """A token of this server: signature and claims, then (with revocation) its session still alive.

        Raises:
            JWTError: anything wrong with it, ``reason="revoked"`` for an ended session.
        """
        claims = await self.verifier.verify(token, base)
        if self.revocations is not None:
            await self.revocations.check(claims)
        return claims


def jwt_extension(auth: AuthContext) -> JWTExtension:
    """The jwt plugin's state of this instance (made by the plugin's ``init``)."""
    found = auth.extensions[EXTENSION]
    assert isinstance(found, JWTExtension)
    return found


class TokenResponse(TypedDict):
    """``{"token": "<JWT>"}``."""

    token: str


class JWK(TypedDict):
    """A public key; its other members depend on the key type (``crv``/``x``/``y`` or ``n``/``e``)."""

    kid: str
    kty: str
    alg: str


class JWKSResponse(TypedDict):
    """The JSON Web Key Set."""

    keys: list[JWK]


@endpoint(
    "GET",
    "/token",
    operation_id="getJSONWebToken",
    response=TokenResponse,
    auth="session",
    tags=("JWT",),
)
async def get_token(ctx: EndpointContext[None, None]) -> TokenResponse | AuthResponse:
    """A JWT for the current session, signed with the newest key of the ``/jwks`` set."""
    session, user = await ctx.require_session(use_cache=True)
    extension = jwt_extension(ctx.auth)
    token = await issue_token(
        extension.keys,
        extension.options,
        ctx.auth.public_session(session),
        ctx.auth.public_user(user),
        ctx.auth.public_base(ctx.request),
    )
    return {"token": token}


@endpoint(
    "GET",
    "/jwks",
    operation_id="getJSONWebKeySet",
    response=JWKSResponse,
    errors=(ErrorDoc(404, (), "Empty 404 when the keys are served elsewhere (remote JWKS)"),),
    tags=("JWT",),
)
async def get_jwks(ctx: EndpointContext[None, None]) -> JWKSResponse | AuthResponse:
    """The public keys that verify this server's JWTs (including rotated keys in their grace period)."""
    extension = jwt_extension(ctx.auth)
    if extension.options.remote_jwks_url is not None:
        raise AuthError(404)
    keys: JWKSKeys = extension.keys
    return {"keys": cast(list[JWK], await keys.public_keys())}
