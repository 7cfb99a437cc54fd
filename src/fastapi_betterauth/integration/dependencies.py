"""FastAPI dependencies: who is calling, and are they allowed.

``current_session`` / ``current_user`` read the same session cookie (or bearer token, with the
bearer plugin) the auth routes read, through the same pipeline, so a revoked session is refused on
the very next request.
"""

from __future__ import annotations

import inspect
import json
import weakref
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

from fastapi import Depends, Request, params
from fastapi import routing as fastapi_routing
from fastapi.dependencies.models import Dependant
from fastapi.security import APIKeyCookie, HTTPBearer

from ..crypto.jwt import ExpiredJWTError, JWTError
from ..errors import AuthError, ConfigurationError, ErrorCode, database_unavailable, storage_unavailable
from ..models import Identity, SessionAndUser, User
from ..outage import database_of, is_database_unavailable, ping_database
from ..plugins.admin.options import EXTENSION as ADMIN_EXTENSION
from ..protocol.credentials import bearer_jwt
from ..resource.jwt_verifier import JWKSUnavailableError
from ..storage.secondary import StorageUnavailableError
from .openapi import ErrorBody
from .responses import request_headers

if TYPE_CHECKING:
    from ..resource.jwt_verifier import JWTVerifier

_instances: weakref.WeakSet[Any] = weakref.WeakSet()

T = TypeVar("T")


@dataclass(frozen=True)
class Requirement:
    """What a dependency needs from the app's ``BetterAuth`` (a plugin, usually), checked at startup.

    ``problem(auth)`` answers what ``auth`` lacks (a sentence naming what to write), or ``None``.
    """

    problem: Callable[[Any], str | None]


_REQUIREMENT = "__better_auth_requirement__"
"""The attribute marking a dependency (function or ``AuthDependency``) with its ``Requirement``."""


class AuthDependency(params.Depends, Generic[T]):
    """What ``require_role``, ``require_permission`` and ``require_jwt`` return; the route gets a ``T``.

    A FastAPI ``Depends`` (``user: Annotated[User, require_role("admin")]``, ``dependencies=[...]``) that
    is also an async callable with the signature of the dependency it carries, so FastAPI accepts the
    fastapi-users spelling ``user: User = Depends(require_role("admin"))`` as well.
    """

    _call: Callable[..., Awaitable[T]]

    def __init__(self, dependency: Callable[..., Awaitable[T]], *, requires: Requirement | None = None) -> None:
        super().__init__(dependency)
        # FastAPI reads the parameters of Depends(<this>) from __signature__: the carried dependency's,
        # with its annotations already resolved (there are no __globals__ here to resolve them in).
        object.__setattr__(self, "__signature__", inspect.signature(dependency, eval_str=True))
        object.__setattr__(self, "_call", dependency)
        if requires is not None:
            # Marks both: Annotated and dependencies=[...] put the function in the route's dependency
            # tree, Depends(<this>) puts this object there.
            setattr(dependency, _REQUIREMENT, requires)
            object.__setattr__(self, _REQUIREMENT, requires)

    async def __call__(self, *args: Any, **kwargs: Any) -> T:
        """Run the carried dependency (what FastAPI calls for ``Depends(require_role(...))``)."""
        return await self._call(*args, **kwargs)


def register_instance(auth: Any) -> None:
    """Remember a live instance, so ``get_auth`` can find it when there is exactly one."""
    _instances.add(auth)


async def get_auth(request: Request) -> Any:
    """The ``BetterAuth`` (or ``ResourceServer``) instance serving this app.

    Found in the lifespan state that ``auth.lifespan`` publishes; failing that, the only instance in
    the process. Tests may override it with ``app.dependency_overrides[get_auth]``.

    Raises:
        ConfigurationError: when no instance (or more than one, without lifespan state) exists.
    """
    state = request.scope.get("state") or {}
    auth = state.get("better_auth")
    if auth is not None:
        return auth
    live = list(_instances)
    if len(live) == 1:
        return live[0]
    raise ConfigurationError(
        "include auth.router in the app (app.include_router(auth.router)) or use "
        "FastAPI(lifespan=auth.lifespan) so the dependencies can find the BetterAuth instance"
    )


def _token_error(error: JWTError) -> AuthError:
    if isinstance(error, JWKSUnavailableError):
        # 503, not 401: the token may be fine, the issuer's keys are what is missing (a 401 would make
        # clients drop their tokens during an issuer outage).
        return AuthError(503, ErrorCode.JWKS_UNAVAILABLE, headers={"Retry-After": str(error.retry_after)})
    code = ErrorCode.TOKEN_EXPIRED if isinstance(error, ExpiredJWTError) else ErrorCode.INVALID_TOKEN
    challenge = f'Bearer error="invalid_token", error_description="{error.reason}"'
    return AuthError(401, code, headers={"WWW-Authenticate": challenge})


async def _identity(request: Request, auth: Any) -> Identity | None:
    try:
        # Credentials are headers only: the query string is never parsed here (no identity reads it), and the
        # request URL only names the issuer of a JWT when no base_url does.
        configured = getattr(getattr(auth, "settings", None), "base_url", None)
        url = None if configured else str(request.url)
        found: Identity | None = await auth.identify(request_headers(request), url=url)
    except JWTError as error:
        raise _token_error(error) from None
    except StorageUnavailableError:
        raise storage_unavailable() from None  # 503, not 401: the session is not gone, its storage is down
    except Exception as error:
        if not is_database_unavailable(error):
            raise
        monitor = getattr(auth, "database_monitor", None)
        if monitor is not None:
            monitor.failed(error)  # logged once per outage, by class name: the message quotes SQL
        _handle_auth_errors_now(request)  # rendered as {message, code} even in an app without the lifespan
        raise database_unavailable() from None
    monitor = getattr(auth, "database_monitor", None)
    if monitor is not None and monitor.down:  # this request may not have used the database: ask it
        adapter = database_of(auth)
        if adapter is not None:
            await monitor.recheck(lambda: ping_database(adapter))
    return found


def _unauthorized() -> AuthError:
    return AuthError(401, ErrorCode.UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})


class _DocumentedBearer(HTTPBearer):
    """The bearer scheme, documented only: OpenAPI (and Swagger's Authorize button) shows how routes authenticate.

    The credentials are read by ``_identity``, so FastAPI's per-request call of this scheme does nothing.
    """

    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        return None


class _DocumentedCookie(APIKeyCookie):
    """The session cookie scheme, documented like :class:`_DocumentedBearer` (and as cheap)."""

    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        return None


_BEARER = _DocumentedBearer(
    auto_error=False,
    scheme_name="BetterAuthBearer",
    description="A session token (bearer plugin, `set-auth-token`) or a JWT (jwt plugin, `/token`)",
)
_COOKIE = _DocumentedCookie(
    name="better-auth.session_token",
    auto_error=False,
    scheme_name="BetterAuthSessionCookie",
    description="The signed session cookie set by sign-in",
)


# ``current_identity`` and ``current_user`` take the documented schemes and the instance directly, not
# through further dependencies: FastAPI solves every node of a route's dependency tree on every request,
# and each node cost about as much as the session lookup's own Python work.


async def _required_identity(request: Request, auth: Any) -> Identity:
    found = await _identity(request, auth)
    if found is None:
        raise _unauthorized()
    return found


async def current_identity(
    request: Request,
    auth: Any = Depends(get_auth),
    _bearer: None = Depends(_BEARER),
    _cookie: None = Depends(_COOKIE),
) -> Identity:
    """Who is calling and how (cookie, bearer session token or JWT); 401 when anonymous or the token is bad."""
    return await _required_identity(request, auth)


async def optional_session(request: Request, auth: Any = Depends(get_auth)) -> SessionAndUser | None:
    """The current session and user, or ``None`` when the caller is anonymous (or proves identity by JWT)."""
    found = await _identity(request, auth)
    if found is None or found.session is None:
        return None
    return SessionAndUser(session=found.session, user=found.user)


async def current_session(request: Request, auth: Any = Depends(get_auth)) -> SessionAndUser:
    """The current session and user; 401 ``UNAUTHORIZED`` (Better Auth's shape) without a session.

    A JWT is not a session: JWT callers get 401 here and are served by ``current_user``.
    """
    found = await _identity(request, auth)
    if found is None or found.session is None:
        raise _unauthorized()
    return SessionAndUser(session=found.session, user=found.user)


async def current_user(
    request: Request,
    auth: Any = Depends(get_auth),
    _bearer: None = Depends(_BEARER),
    _cookie: None = Depends(_COOKIE),
) -> User:
    """The signed-in user, from a session cookie, a bearer session token or a JWT; 401 when anonymous."""
    return (await _required_identity(request, auth)).user


async def optional_user(request: Request, auth: Any = Depends(get_auth)) -> User | None:
    """The signed-in user, or ``None`` when anonymous (a bad token is still a 401)."""
    found = await _identity(request, auth)
    return None if found is None else found.user


def require_jwt(verifier: JWTVerifier | None = None) -> AuthDependency[dict[str, Any]]:
    """A dependency accepting only ``Authorization: Bearer <JWT>``, returning its verified claims.

    ``claims: Annotated[dict[str, Any], require_jwt(verifier)]`` or ``= Depends(require_jwt(verifier))``.
    ``verifier`` defaults to the app's: the ``ResourceServer``'s ``jwt``, or the jwt plugin's own keys
    (or ``jwt_verifiers``); an app with none of them is refused at startup (``ConfigurationError``).
    """
    if verifier is not None:
        checked = verifier

        async def with_verifier(request: Request) -> dict[str, Any]:
            # The hot path of a JWT-protected route: one header read, one verification.
            token = bearer_jwt(request.headers)
            try:
                if token is None:
                    raise _unauthorized()
                try:
                    return await checked.verify(token)
                except JWTError as error:
                    raise _token_error(error) from None
            except AuthError:
                # An explicit verifier works in an app without BetterAuth's or ResourceServer's lifespan,
                # which is what installs the handler: answer {message, code}, never a 500.
                _handle_auth_errors_now(request)
                raise

        return AuthDependency(with_verifier)

    async def with_app_verifier(request: Request, auth: Any = Depends(get_auth)) -> dict[str, Any]:
        token = bearer_jwt(request.headers)
        if token is None:
            raise _unauthorized()
        try:
            claims: dict[str, Any] = await auth.verify_jwt(token, url=str(request.url))
        except JWTError as error:
            if error.reason == "not_configured":
                # Not the caller's fault: no issuer to verify against (the route came after startup).
                raise ConfigurationError(_NEEDS_JWT) from None
            raise _token_error(error) from None
        return claims

    return AuthDependency(with_app_verifier, requires=Requirement(_jwt_problem))


_NEEDS_JWT = (
    "require_jwt() needs keys to verify JWTs with: BetterAuth(..., plugins=[jwt()]) or "
    "BetterAuth(..., jwt_verifiers=[JWTVerifier(...)]), ResourceServer(jwt=JWTVerifier(...)), "
    "or require_jwt(JWTVerifier(...))"
)


def _jwt_problem(auth: Any) -> str | None:
    """Whether the app's instance has something to verify ``require_jwt()``'s tokens with."""
    if hasattr(auth, "access_options"):  # a ResourceServer
        return None if getattr(auth, "jwt", None) is not None else _NEEDS_JWT
    extensions = getattr(getattr(auth, "context", None), "extensions", None)
    if extensions is None:
        return None  # not a BetterAuth (a test double): nothing to tell
    verifiers = getattr(auth, "jwt_verifiers", None)
    return None if "jwt" in extensions or verifiers else _NEEDS_JWT


def _roles_requirement(what: str) -> Requirement:
    """``what`` reads roles: it needs the admin plugin (its ``role`` column and role definitions).

    A ``ResourceServer`` has them from its own options (the issuer's roles); a ``BetterAuth`` without
    ``admin()`` has no ``role`` column, so every user would be refused.
    """
    message = f"{what} needs the admin plugin: BetterAuth(..., plugins=[admin()])"

    def problem(auth: Any) -> str | None:
        if getattr(auth, "access_options", None) is not None:
            return None
        extensions = getattr(getattr(auth, "context", None), "extensions", None)
        if extensions is None or ADMIN_EXTENSION in extensions:
            return None  # the admin plugin, or not a BetterAuth (a test double): nothing to tell
        return message

    return Requirement(problem)


def _access(auth: Any, requirement: Requirement) -> Any:
    """The role definitions in force: a ResourceServer's or the admin plugin's.

    Raises:
        ConfigurationError: a ``BetterAuth`` without the admin plugin (a route added after startup, which
            the startup check did not see).
    """
    configured = getattr(auth, "access_options", None)
    if configured is not None:
        return configured
    problem = requirement.problem(auth)
    if problem is not None:
        raise ConfigurationError(problem)
    from ..plugins.admin import admin_options

    return admin_options(auth)


def _forbidden() -> AuthError:
    return AuthError(403, ErrorCode.FORBIDDEN, "You are not allowed to access this resource")


def require_role(*roles: str) -> AuthDependency[User]:
    """A dependency admitting users who hold one of ``roles``; returns the ``User``.

    ``user: Annotated[User, require_role("admin")]`` or ``user: User = Depends(require_role("admin"))``.
    401 when anonymous, 403 ``FORBIDDEN`` otherwise. The role is read on every request (from the database
    for sessions and for this server's JWTs), so a role change applies on the very next request.
    Needs the admin plugin (or a ``ResourceServer``): without it the app refuses to start.
    """
    if not roles:
        raise ConfigurationError("require_role() needs at least one role")
    wanted = set(roles)
    requirement = _roles_requirement(f"require_role({', '.join(json.dumps(role) for role in roles)})")

    async def dependency(
        request: Request, identity: Identity = Depends(current_identity), auth: Any = Depends(get_auth)
    ) -> User:
        from ..plugins.admin.access import split_roles

        access = _access(auth, requirement)
        held = split_roles(getattr(identity.user, "role", None) or access.default_role)
        if identity.user.id in access.admin_user_ids or wanted.intersection(held):
            return identity.user
        raise _forbidden()

    return AuthDependency(dependency, requires=requirement)


def require_permission(permissions: dict[str, list[str]]) -> AuthDependency[User]:
    """A dependency admitting users whose roles grant ``permissions`` (``{"task": ["delete"]}``); returns the ``User``.

    Uses the admin plugin's roles (or ``ResourceServer(roles=...)``); ``admin_user_ids`` are always allowed.
    Needs the admin plugin (or a ``ResourceServer``): without it the app refuses to start.
    """
    from ..plugins.admin.access import has_permission

    requirement = _roles_requirement(f"require_permission({json.dumps(permissions)})")

    async def dependency(identity: Identity = Depends(current_identity), auth: Any = Depends(get_auth)) -> User:
        access = _access(auth, requirement)
        if has_permission(
            user_id=identity.user.id,
            role=getattr(identity.user, "role", None),
            permissions=permissions,
            roles=access.roles,
            admin_user_ids=access.admin_user_ids,
            default_role=access.default_role,
        ):
            return identity.user
        raise _forbidden()

    return AuthDependency(dependency, requires=requirement)


async def _render_auth_error(request: Any, exc: Exception) -> Any:
    from .responses import error_to_response

    assert isinstance(exc, AuthError)
    return error_to_response(exc)


def _handle_auth_errors_now(request: Request) -> None:
    """Make sure the ``AuthError`` about to be raised is rendered, in this request already.

    Starlette keeps the live handler table of the request in its scope: adding ours there covers the
    current request, and ``install_error_handler`` covers the app's next middleware build.
    """
    live = request.scope.get("starlette.exception_handlers")
    if isinstance(live, tuple) and live and isinstance(live[0], dict) and AuthError not in live[0]:
        live[0][AuthError] = _render_auth_error
    install_error_handler(request.app)


def install_error_handler(app: Any) -> None:
    """Render ``AuthError`` raised by the dependencies in Better Auth's ``{message, code}`` shape."""
    handlers = getattr(app, "exception_handlers", None)
    if handlers is None or AuthError in handlers:
        return
    app.add_exception_handler(AuthError, _render_auth_error)
    if getattr(app, "middleware_stack", None) is not None:
        # The lifespan runs after Starlette built its middleware stack: rebuild it on the next
        # request so the handler takes effect.
        app.middleware_stack = None


def check_route_dependencies(app: Any, auth: Any) -> None:
    """Refuse to start an app whose routes use a dependency ``auth`` cannot serve.

    ``require_role`` / ``require_permission`` without the admin plugin would refuse everyone (403), and
    ``require_jwt()`` without keys every token (401): say so now, naming what to write. Routes added
    after startup are caught on their first request instead (the dependencies check again).

    Raises:
        ConfigurationError: the first such route, with the dependency and the fix.
    """
    overrides = getattr(app, "dependency_overrides", None) or {}
    if get_auth in overrides:
        return  # the dependencies will be served by another instance
    for where, requirement in _route_requirements(getattr(app, "routes", None) or ()):
        problem = requirement.problem(auth)
        if problem is not None:
            raise ConfigurationError(f"{problem} (used by {where})")


def _route_requirements(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, Requirement]]:
    """Each marked dependency of each route, with the route's methods and path; into mounted apps too."""
    # Recent FastAPI keeps included routers unflattened: iter_route_contexts yields their routes with the
    # include's prefix and dependencies. Older versions copy the routes into the app's list.
    contexts = getattr(fastapi_routing, "iter_route_contexts", None)
    for route in contexts(list(routes)) if contexts is not None else routes:
        path = prefix + str(getattr(route, "path", ""))
        dependant = getattr(route, "dependant", None)
        if isinstance(dependant, Dependant):
            methods = " ".join(sorted(getattr(route, "methods", None) or ()))
            for requirement in _dependant_requirements(dependant):
                yield f"{methods} {path}".strip(), requirement
        nested = getattr(route, "routes", None)  # a Mount: a sub-application or a Router
        if isinstance(nested, list | tuple) and nested:
            yield from _route_requirements(nested, path)


def _dependant_requirements(dependant: Dependant) -> Iterator[Requirement]:
    """The requirements marked on a route's dependency tree (``AuthDependency`` objects or their functions)."""
    pending = [dependant]
    while pending:
        current = pending.pop()
        found = getattr(current.call, _REQUIREMENT, None) if current.call is not None else None
        if isinstance(found, Requirement):
            yield found
        pending.extend(current.dependencies)


def install(app: Any, auth: Any) -> None:
    """What ``auth.lifespan`` does to the app: check its routes' dependencies, render their errors.

    Also answers the app's own database outages with 503 ``DATABASE_UNAVAILABLE`` (see ``database_errors``).
    """
    from .database_errors import install_database_error_handler

    check_route_dependencies(app, auth)
    install_error_handler(app)
    install_database_error_handler(app, getattr(auth, "database_monitor", None))


AUTH_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorBody,
        "description": "No valid session cookie, bearer token or JWT: `UNAUTHORIZED`, `INVALID_TOKEN`, `TOKEN_EXPIRED`",
    },
    403: {
        "model": ErrorBody,
        "description": "Signed in but not allowed: a role or permission (`FORBIDDEN`) or a ban (`BANNED_USER`)",
    },
    503: {
        "model": ErrorBody,
        "description": "The database, session storage or issuer keys cannot be reached: `DATABASE_UNAVAILABLE`, "
        "`STORAGE_UNAVAILABLE`, `JWKS_UNAVAILABLE`; retry after `Retry-After` seconds",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}
"""The answers of the dependencies, for OpenAPI: ``APIRouter(responses=AUTH_ERROR_RESPONSES)``."""

CurrentIdentity = Annotated[Identity, Depends(current_identity)]
"""``async def route(identity: CurrentIdentity)``: user, session or claims, and how they were proven."""
CurrentSession = Annotated[SessionAndUser, Depends(current_session)]
"""``async def route(session: CurrentSession)``: the session and user, 401 when anonymous."""
CurrentUser = Annotated[User, Depends(current_user)]
"""``async def route(user: CurrentUser)``: the signed-in user, 401 when anonymous."""
OptionalUser = Annotated[User | None, Depends(optional_user)]
"""``async def route(user: OptionalUser)``: the signed-in user or ``None``."""
