"""FastAPI dependencies: who is calling, and are they allowed.

``current_session`` / ``current_user`` read the same session cookie (or bearer token, with the
bearer plugin) the auth routes read, through the same pipeline, so a revoked session is refused on
the very next request.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request

from ..errors import AuthError, ConfigurationError, ErrorCode
from ..models import Session, SessionAndUser, User
from .responses import query_dict, request_headers

if TYPE_CHECKING:
    from ..auth import BetterAuth

_instances: weakref.WeakSet[BetterAuth] = weakref.WeakSet()


def register_instance(auth: BetterAuth) -> None:
    """Remember a live instance, so ``get_auth`` can find it when there is exactly one."""
    _instances.add(auth)


def get_auth(request: Request) -> BetterAuth:
    """The ``BetterAuth`` instance serving this app.

    Found in the lifespan state that ``auth.lifespan`` publishes; failing that, the only instance in
    the process. Tests may override it with ``app.dependency_overrides[get_auth]``.

    Raises:
        ConfigurationError: when no instance (or more than one, without lifespan state) exists.
    """
    state = request.scope.get("state") or {}
    auth = state.get("better_auth")
    if auth is not None:
        return auth  # type: ignore[no-any-return]
    live = list(_instances)
    if len(live) == 1:
        return live[0]
    raise ConfigurationError(
        "include auth.router in the app (app.include_router(auth.router)) or use "
        "FastAPI(lifespan=auth.lifespan) so the dependencies can find the BetterAuth instance"
    )


async def _session_or_none(request: Request, auth: BetterAuth) -> SessionAndUser | None:
    found = await auth.session_from_headers(request_headers(request), query=query_dict(request))
    if found is None:
        return None
    session, user = found
    return SessionAndUser(
        session=Session.model_validate(auth.context.public_session(session)),
        user=User.model_validate(auth.context.public_user(user)),
    )


async def optional_session(request: Request, auth: Any = Depends(get_auth)) -> SessionAndUser | None:
    """The current session and user, or ``None`` when the caller is anonymous."""
    return await _session_or_none(request, auth)


async def current_session(request: Request, auth: Any = Depends(get_auth)) -> SessionAndUser:
    """The current session and user; 401 ``UNAUTHORIZED`` (Better Auth's shape) when absent."""
    found = await _session_or_none(request, auth)
    if found is None:
        raise AuthError(401, ErrorCode.UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
    return found


async def current_user(session: SessionAndUser = Depends(current_session)) -> User:
    """The signed-in user; 401 when anonymous."""
    return session.user


async def optional_user(session: SessionAndUser | None = Depends(optional_session)) -> User | None:
    """The signed-in user, or ``None``."""
    return None if session is None else session.user


CurrentSession = Annotated[SessionAndUser, Depends(current_session)]
"""``async def route(session: CurrentSession)``: the session and user, 401 when anonymous."""
CurrentUser = Annotated[User, Depends(current_user)]
"""``async def route(user: CurrentUser)``: the signed-in user, 401 when anonymous."""
OptionalUser = Annotated[User | None, Depends(optional_user)]
"""``async def route(user: OptionalUser)``: the signed-in user or ``None``."""
