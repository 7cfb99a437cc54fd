"""Both spellings of the guard dependencies, and the admin-less apps they used to refuse silently.

``require_role`` / ``require_permission`` / ``require_jwt`` work as ``Annotated[T, require_...]``, as
``= Depends(require_...)`` (the fastapi-users habit) and in ``dependencies=[...]`` on a route or a router.
An app whose ``BetterAuth`` cannot serve them (no ``admin()``, no ``jwt()``) refuses to start, naming
the plugin; a route added after startup raises the same ``ConfigurationError`` on its first request.
A ``ResourceServer`` has its roles from the issuer and needs no admin plugin.
"""

# No ``from __future__ import annotations``: the routes below are built in functions, and FastAPI
# evaluates string annotations in module globals only (``Annotated[User, guard]`` names a local).

import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import httpx
import jwt as pyjwt
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, Depends, FastAPI

from fastapi_betterauth import (
    AccessControl,
    AuthDependency,
    BetterAuth,
    ConfigurationError,
    JWTVerifier,
    MemoryAdapter,
    ResourceServer,
    SessionVerifier,
    User,
    admin,
    bearer,
    jwt,
    require_jwt,
    require_permission,
    require_role,
)
from fastapi_betterauth.plugins.admin.access import ADMIN_ROLE, DEFAULT_STATEMENTS, USER_ROLE
from tests.conftest import SECRET, FastTestHasher, make_settings

pytestmark = pytest.mark.anyio
API = "/api/auth"
PASSWORD = "password123"
SECURITY = [{"BetterAuthBearer": []}, {"BetterAuthSessionCookie": []}]
SPELLINGS = ("annotated", "default", "route", "router", "include")


def guarded_routes(make: Callable[[], AuthDependency[Any]]) -> APIRouter:
    """One route per spelling of the dependency ``make()`` builds (a fresh one each time)."""
    router = APIRouter()

    @router.get("/annotated")
    async def annotated(found: Annotated[Any, make()]) -> dict[str, bool]:
        return {"ok": found is not None}

    @router.get("/default")
    async def default(found: Any = Depends(make())) -> dict[str, bool]:  # noqa: B008
        return {"ok": found is not None}

    @router.get("/route", dependencies=[Depends(make())])
    async def route() -> dict[str, bool]:
        return {"ok": True}

    guarded = APIRouter(dependencies=[Depends(make())])

    @guarded.get("/router")
    async def on_router() -> dict[str, bool]:
        return {"ok": True}

    router.include_router(guarded)
    included = APIRouter()

    @included.get("/include")
    async def on_include() -> dict[str, bool]:
        return {"ok": True}

    router.include_router(included, dependencies=[Depends(make())])
    return router


def app_with_guards(auth: Any) -> FastAPI:
    app = FastAPI(lifespan=auth.lifespan)
    if isinstance(auth, BetterAuth):
        app.include_router(auth.router)
    app.include_router(guarded_routes(lambda: require_role("admin")), prefix="/role")
    app.include_router(guarded_routes(lambda: require_permission({"user": ["list"]})), prefix="/permission")
    app.include_router(guarded_routes(require_jwt), prefix="/jwt")
    return app


async def world(make_client: Callable[..., Any]) -> tuple[httpx.AsyncClient, dict[str, dict[str, Any]]]:
    """An admin (role set in the database) and a plain user, each with a session token and a JWT."""
    client, auth = await make_client(plugins=[bearer(), jwt(), admin()], app=app_with_guards)
    people: dict[str, dict[str, Any]] = {}
    for name in ("boss", "alice"):
        response = await client.post(
            f"{API}/sign-up/email", json={"email": f"{name}@example.com", "password": PASSWORD, "name": name}
        )
        assert response.status_code == 200
        session = {"Authorization": f"Bearer {response.headers['set-auth-token']}"}
        token = (await client.get(f"{API}/token", headers=session)).json()["token"]
        people[name] = {"id": response.json()["user"]["id"], "session": session, "jwt": f"Bearer {token}"}
        client.cookies.clear()
    await auth.store.update_user(people["boss"]["id"], {"role": "admin"})
    return client, people


def as_(people: dict[str, Any], name: str, credential: str = "session") -> dict[str, str]:
    found = people[name][credential]
    return found if isinstance(found, dict) else {"Authorization": found}


@pytest.mark.parametrize("guard", ["role", "permission"])
async def test_role_guards_answer_alike_in_every_spelling(make_client: Callable[..., Any], guard: str) -> None:
    client, people = await world(make_client)
    for spelling in SPELLINGS:
        path = f"/{guard}/{spelling}"
        anonymous = await client.get(path)
        assert (anonymous.status_code, anonymous.json()["code"]) == (401, "UNAUTHORIZED"), path
        for credential in ("session", "jwt"):
            refused = await client.get(path, headers=as_(people, "alice", credential))
            assert refused.status_code == 403, (path, credential)
            assert refused.json() == {"message": "You are not allowed to access this resource", "code": "FORBIDDEN"}
            allowed = await client.get(path, headers=as_(people, "boss", credential))
            assert (allowed.status_code, allowed.json()) == (200, {"ok": True}), (path, credential)


async def test_require_jwt_answers_alike_in_every_spelling(make_client: Callable[..., Any]) -> None:
    client, people = await world(make_client)
    foreign = pyjwt.encode({"sub": people["alice"]["id"], "exp": int(time.time()) + 60}, SECRET, algorithm="HS256")
    for spelling in SPELLINGS:
        path = f"/jwt/{spelling}"
        assert (await client.get(path)).status_code == 401, path
        # A session token is not a JWT, and a JWT from keys this app does not trust is refused.
        assert (await client.get(path, headers=as_(people, "alice"))).status_code == 401, path
        bad = await client.get(path, headers={"Authorization": f"Bearer {foreign}"})
        assert (bad.status_code, bad.json()["code"]) == (401, "INVALID_TOKEN"), path
        allowed = await client.get(path, headers=as_(people, "alice", "jwt"))
        assert (allowed.status_code, allowed.json()) == (200, {"ok": True}), path


async def test_every_spelling_is_documented_as_the_annotated_one() -> None:
    auth = BetterAuth(make_settings(), adapter=MemoryAdapter(), plugins=[jwt(), admin()])
    paths = app_with_guards(auth).openapi()["paths"]
    for guard in ("role", "permission", "jwt"):
        annotated = paths[f"/{guard}/annotated"]["get"]
        # The role guards show how to authenticate; require_jwt never did (its hot path has no extra dependency).
        assert annotated.get("security") == (SECURITY if guard != "jwt" else None)
        for spelling in SPELLINGS:
            operation = paths[f"/{guard}/{spelling}"]["get"]
            assert operation.get("security") == annotated.get("security"), (guard, spelling)
            assert "parameters" not in operation, (guard, spelling)  # nothing of the dependency leaks
            assert operation["responses"].keys() == annotated["responses"].keys(), (guard, spelling)


# --- apps that cannot serve the guards ---------------------------------------------------------------


def lone_auth(plugins: Any = ()) -> BetterAuth:
    return BetterAuth(make_settings(), adapter=MemoryAdapter(), plugins=plugins, password_hasher=FastTestHasher())


def admin_less_app(auth: BetterAuth, placement: str, *, with_lifespan: bool = True) -> FastAPI:
    app = FastAPI(lifespan=auth.lifespan) if with_lifespan else FastAPI()
    app.include_router(auth.router)
    guard = require_permission({"user": ["list"]}) if placement == "permission" else require_role("admin")
    if placement in ("annotated", "permission"):

        @app.get("/admin")
        async def annotated(user: Annotated[User, guard]) -> str:
            return user.id

    elif placement == "default":

        @app.get("/admin")
        async def default(user: User = Depends(guard)) -> str:
            return user.id

    elif placement == "include":
        router = APIRouter()

        @router.get("/admin")
        async def included() -> str:
            return "ok"

        app.include_router(router, dependencies=[Depends(guard)])
    else:
        sub = FastAPI()

        @sub.get("/admin", dependencies=[guard])
        async def mounted() -> str:
            return "ok"

        app.mount("/sub", sub)
    return app


@pytest.mark.parametrize("placement", ["annotated", "permission", "default", "include", "mounted"])
async def test_role_guards_without_the_admin_plugin_refuse_to_start(placement: str) -> None:
    auth = lone_auth()
    with pytest.raises(ConfigurationError) as refused:
        async with LifespanManager(admin_less_app(auth, placement)):
            pass
    message = str(refused.value)
    assert "needs the admin plugin: BetterAuth(..., plugins=[admin()])" in message
    what = 'require_permission({"user": ["list"]})' if placement == "permission" else 'require_role("admin")'
    where = "GET /sub/admin" if placement == "mounted" else "GET /admin"
    assert message.startswith(what) and message.endswith(f"(used by {where})"), message
    assert auth._open == 0  # the refused start holds nothing open


async def test_the_auth_router_alone_checks_too() -> None:
    """Without FastAPI(lifespan=...), including auth.router installs the lifespan that checks."""
    with pytest.raises(ConfigurationError, match=r"plugins=\[admin\(\)\]"):
        async with LifespanManager(admin_less_app(lone_auth(), "annotated", with_lifespan=False)):
            pass


async def test_require_jwt_without_keys_refuses_to_start() -> None:
    auth = lone_auth()
    app = FastAPI(lifespan=auth.lifespan)

    @app.get("/claims")
    async def claims(found: Annotated[dict[str, Any], require_jwt()]) -> dict[str, Any]:
        return found

    with pytest.raises(
        ConfigurationError, match=r"require_jwt\(\) needs .*plugins=\[jwt\(\)\].*\(used by GET /claims\)"
    ):
        async with LifespanManager(app):
            pass
    # An explicit verifier or jwt_verifiers are keys enough.
    served = lone_auth()
    with_verifiers = BetterAuth(make_settings(), adapter=MemoryAdapter(), jwt_verifiers=[JWTVerifier(secret=SECRET)])
    for auth_of_app, guard in ((served, require_jwt(JWTVerifier(secret=SECRET))), (with_verifiers, require_jwt())):
        other = FastAPI(lifespan=auth_of_app.lifespan)
        other.add_api_route("/claims", lambda: None, dependencies=[guard])
        async with LifespanManager(other):
            pass


async def client_of(app: FastAPI) -> tuple[LifespanManager, httpx.AsyncClient]:
    manager = LifespanManager(app)
    await manager.__aenter__()
    return manager, httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost:8000")


async def test_a_guard_added_after_startup_raises_on_first_use() -> None:
    auth = lone_auth([bearer()])
    await auth.create_schema()
    app = FastAPI(lifespan=auth.lifespan)
    app.include_router(auth.router)
    manager, client = await client_of(app)
    try:
        signed_up = await client.post(
            f"{API}/sign-up/email", json={"email": "a@example.com", "password": PASSWORD, "name": "A"}
        )
        late = APIRouter()

        @late.get("/admin")
        async def admin_only(user: User = Depends(require_role("admin"))) -> str:  # noqa: B008
            return user.id

        @late.get("/claims")
        async def claims(found: Annotated[dict[str, Any], require_jwt()]) -> dict[str, Any]:
            return found

        app.include_router(late)
        session = {"Authorization": f"Bearer {signed_up.headers['set-auth-token']}"}
        with pytest.raises(ConfigurationError, match=r'require_role\("admin"\) needs .*plugins=\[admin\(\)\]'):
            await client.get("/admin", headers=session)
        token = pyjwt.encode({"sub": "u1", "exp": int(time.time()) + 60}, SECRET, algorithm="HS256")
        with pytest.raises(ConfigurationError, match=r"require_jwt\(\) needs .*plugins=\[jwt\(\)\]"):
            await client.get("/claims", headers={"Authorization": f"Bearer {token}"})
    finally:
        await client.aclose()
        await manager.__aexit__(None, None, None)


# --- resource-server mode: roles come from the issuer ------------------------------------------------


def token_of(role: str | None, **claims: Any) -> dict[str, str]:
    payload = {"sub": f"user-{role}", "exp": int(time.time()) + 60, "role": role, **claims}
    return {"Authorization": "Bearer " + pyjwt.encode(payload, SECRET, algorithm="HS256")}


async def test_a_resource_server_serves_the_guards_without_an_admin_plugin() -> None:
    ac = AccessControl({**DEFAULT_STATEMENTS, "task": ["delete"]})
    roles = {"admin": ADMIN_ROLE, "user": USER_ROLE, "editor": ac.role({"task": ["delete"]})}
    resource = ResourceServer(jwt=JWTVerifier(secret=SECRET), roles=roles, admin_user_ids=["user-root"])
    app = FastAPI(lifespan=resource.lifespan)
    app.include_router(guarded_routes(lambda: require_role("admin")), prefix="/role")
    app.include_router(guarded_routes(lambda: require_permission({"task": ["delete"]})), prefix="/permission")
    app.include_router(guarded_routes(require_jwt), prefix="/jwt")
    manager, client = await client_of(app)  # starts: a ResourceServer has its roles
    try:
        for spelling in SPELLINGS:
            for guard, allowed, refused in (("role", "admin", "editor"), ("permission", "editor", "admin")):
                path = f"/{guard}/{spelling}"
                assert (await client.get(path)).status_code == 401, path
                assert (await client.get(path, headers=token_of(refused))).status_code == 403, path
                assert (await client.get(path, headers=token_of("user"))).status_code == 403, path
                assert (await client.get(path, headers=token_of(allowed))).json() == {"ok": True}, path
                assert (await client.get(path, headers=token_of("root"))).status_code == 200, path  # admin_user_ids
            assert (await client.get(f"/jwt/{spelling}", headers=token_of(None))).json() == {"ok": True}
    finally:
        await client.aclose()
        await manager.__aexit__(None, None, None)


async def test_a_resource_server_without_a_jwt_verifier_refuses_require_jwt(tmp_path: Path) -> None:
    resource = ResourceServer(sessions=SessionVerifier(database=f"sqlite+aiosqlite:///{tmp_path}/s.db", secret=SECRET))
    app = FastAPI(lifespan=resource.lifespan)
    app.include_router(guarded_routes(require_jwt), prefix="/jwt")
    with pytest.raises(ConfigurationError, match=r"ResourceServer\(jwt=JWTVerifier\(\.\.\.\)\)"):
        async with LifespanManager(app):
            pass
