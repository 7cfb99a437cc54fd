"""``ResourceServer``: the dependencies' view of a FastAPI app that only verifies what Better Auth issued.

Use it instead of ``BetterAuth`` when a TypeScript Better Auth server signs users in: ``current_user``,
``current_session`` and ``require_role`` then work exactly as with ``BetterAuth``, from a session cookie,
a bearer session token or a JWT.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..crypto.jwt import JWTError
from ..db.store import is_banned
from ..errors import AuthError, ConfigurationError, ErrorCode
from ..models import Identity, Session, User
from ..outage import DatabaseMonitor
from ..plugins.admin.access import DEFAULT_ROLES, Role
from ..plugins.admin.options import AdminOptions
from ..protocol.credentials import bearer_jwt
from .jwt_verifier import JWTVerifier
from .session_verifier import SessionVerifier

if TYPE_CHECKING:
    from fastapi import APIRouter  # noqa: TID251 - a type only; fastapi is imported by integration.health


class ResourceServer:
    """Verify sessions and/or JWTs issued elsewhere.

    Args:
        jwt: a :class:`JWTVerifier` for ``Authorization: Bearer <JWT>``.
        sessions: a :class:`SessionVerifier` for the session cookie and bearer session tokens; with it,
            JWT callers' users are also re-read from the database (current role, deleted users refused).
        roles: the issuer's roles (its admin plugin ``roles``) for ``require_permission``.
        admin_user_ids: users allowed everything (the issuer's ``adminUserIds``).
        default_role: role assumed when the user has none.
    """

    def __init__(
        self,
        *,
        jwt: JWTVerifier | None = None,
        sessions: SessionVerifier | None = None,
        roles: Mapping[str, Role] | None = None,
        admin_user_ids: Sequence[str] = (),
        default_role: str = "user",
    ) -> None:
        if jwt is None and sessions is None:
            raise ConfigurationError("ResourceServer needs jwt=JWTVerifier(...) and/or sessions=SessionVerifier(...)")
        self.jwt = jwt
        self.sessions = sessions
        self.access_options = AdminOptions(
            default_role=default_role,
            admin_user_ids=tuple(admin_user_ids),
            roles=dict(roles) if roles is not None else dict(DEFAULT_ROLES),
            custom_roles=roles is not None,
        )
        """Role definitions for ``require_role`` / ``require_permission`` (the issuer's admin plugin roles)."""
        self.database_monitor = DatabaseMonitor()
        """Whether the session database answers; each outage is logged once (begin and end)."""
        from ..integration.dependencies import register_instance

        register_instance(self)

    async def identify(
        self, headers: Mapping[str, str], query: Mapping[str, Any] | None = None, *, url: str | None = None
    ) -> Identity | None:
        """The caller's identity, ``None`` when anonymous.

        Raises:
            JWTError: a bearer JWT was presented and does not verify.
        """
        lowered = {k.lower(): v for k, v in headers.items()}
        if self.sessions is not None:
            found = await self.sessions.lookup(lowered, url=url)
            if found is not None:
                session, user, via = found
                self._refuse_banned(user)
                return Identity(user=User.model_validate(user), session=Session.model_validate(session), via=via)
        token = bearer_jwt(lowered)
        if token is None or self.jwt is None:
            return None
        claims = await self.jwt.verify(token)
        if self.sessions is not None:
            # With the shared database at hand, read the user now: a role change or a deletion applies at
            # once instead of when the token expires.
            row = await self.sessions.find_user(str(claims["sub"]))
            if row is None:
                return None
            self._refuse_banned(row)
            return Identity(user=User.model_validate(row), claims=claims, via="jwt")
        # Without the database, the token's own copy of the user (Better Auth puts it in the payload) is
        # all there is: a ban applies from the next token the issuer signs.
        self._refuse_banned(claims)
        return Identity(user=user_from_claims(claims), claims=claims, via="jwt")

    def _refuse_banned(self, user: Mapping[str, Any]) -> None:
        """A banned user is refused whatever the credential, as the issuer's admin plugin answers."""
        if is_banned(_ban_fields(user)):
            raise AuthError(403, ErrorCode.BANNED_USER, self.access_options.banned_user_message)

    async def verify_jwt(self, token: str, *, url: str | None = None) -> dict[str, Any]:
        """Verify a JWT with the configured verifier (what ``require_jwt()`` uses by default).

        Raises:
            JWTError: it does not verify, or no ``jwt`` verifier is configured.
        """
        if self.jwt is None:
            raise JWTError("no JWT verifier is configured", reason="not_configured")
        return await self.jwt.verify(token)

    def health_router(
        self, *, live_path: str = "/health/live", ready_path: str = "/health/ready", timeout: float = 2.0
    ) -> APIRouter:
        """Liveness and readiness routes: ``app.include_router(resource.health_router())``.

        Readiness checks the session database and its secondary storage (with ``sessions=``) and the
        issuer's key set (with ``JWTVerifier(jwks_url=...)``: fetched if missing; ``stale`` still passes).
        """
        from ..integration.health import create_health_router

        return create_health_router(self, live_path=live_path, ready_path=ready_path, timeout=timeout)

    @asynccontextmanager
    async def lifespan(self, app: Any = None) -> AsyncIterator[dict[str, Any]]:
        """``FastAPI(lifespan=resource.lifespan)``: publishes itself to the dependencies, closes at exit."""
        try:
            if app is not None:
                from ..integration.dependencies import install

                install(app, self)  # in the try: a refused start still closes the session verifier
            yield {"better_auth": self}
        finally:
            if self.sessions is not None:
                await self.sessions.close()


def _ban_fields(user: Mapping[str, Any]) -> dict[str, Any]:
    """``banned``/``banExpires`` of a row or of JWT claims (where dates are ISO strings or epoch seconds)."""
    expires = user.get("banExpires")
    if isinstance(expires, str):
        try:
            parsed = datetime.fromisoformat(expires.replace("Z", "+00:00"))
        except ValueError:
            expires = None  # unreadable: the ban stands
        else:
            expires = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    elif isinstance(expires, int | float) and not isinstance(expires, bool):
        expires = datetime.fromtimestamp(expires / 1000 if expires > 1e11 else expires, UTC)
    return {"banned": user.get("banned"), "banExpires": expires}


def user_from_claims(claims: Mapping[str, Any]) -> User:
    """A ``User`` from JWT claims: Better Auth puts the whole user in its tokens; minimal tokens still work.

    Raises:
        JWTError: claims that cannot describe a user.
    """
    issued = claims.get("iat")
    fallback = datetime.fromtimestamp(issued if isinstance(issued, int | float) else 0, UTC)
    data = {
        "name": "",
        "email": "",
        "emailVerified": False,
        "createdAt": fallback,
        "updatedAt": fallback,
        **{k: v for k, v in claims.items() if k not in ("iat", "exp", "nbf", "iss", "aud", "sub", "jti")},
        "id": claims["sub"],
    }
    try:
        return User.model_validate(data)
    except ValueError as error:
        raise JWTError(f"claims do not describe a user: {type(error).__name__}") from None
