"""``jwt(revocation=True)``: a JWT stops working in the request after its session ends, whatever ended it.

Off (the default), JWTs live until they expire, exactly as Better Auth's: each case is run both ways.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import httpx
import jwt as pyjwt
import pytest
from fastapi import FastAPI

from fastapi_betterauth import CurrentUser, User, admin, bearer, jwt, require_jwt

pytestmark = pytest.mark.anyio
API = "/api/auth"
PASSWORD = "password123"


def decode_jwt_unverified(token: str) -> dict[str, Any]:
    return dict(pyjwt.decode(token, options={"verify_signature": False}))


def app_with_routes(auth: Any) -> FastAPI:
    application = FastAPI(lifespan=auth.lifespan)
    application.include_router(auth.router)

    @application.get("/claims")
    async def claims(claims: Annotated[dict[str, Any], require_jwt()]) -> dict[str, Any]:
        return claims

    @application.get("/me")
    async def me(user: CurrentUser) -> User:
        return user

    return application


class World:
    """One app; ``call`` sends a request with one device's credential only (no cookie jar)."""

    def __init__(self, client: httpx.AsyncClient, auth: Any) -> None:
        self.client = client
        self.auth = auth

    async def call(self, method: str, path: str, bearer_token: str | None = None, **kw: Any) -> httpx.Response:
        self.client.cookies.clear()
        headers = {"authorization": f"Bearer {bearer_token}"} if bearer_token else {}
        return await self.client.request(method, path, headers=headers, **kw)

    async def device(self, email: str) -> tuple[str, str]:
        """Sign in a new device: its bearer session token and a JWT of that session."""
        signed_in = await self.call("POST", f"{API}/sign-in/email", json={"email": email, "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        session_token = signed_in.headers["set-auth-token"]
        minted = await self.call("GET", f"{API}/token", session_token)
        assert minted.status_code == 200
        return session_token, minted.json()["token"]

    async def accepted(self, token: str) -> bool:
        claims = await self.call("GET", "/claims", token)
        me = await self.call("GET", "/me", token)
        assert claims.status_code in (200, 401) and me.status_code in (200, 401, 403)
        if claims.status_code == 401:
            assert claims.json()["code"] == "INVALID_TOKEN"
            assert "revoked" in claims.headers["www-authenticate"]
        return claims.status_code == 200


async def world(make_client: Callable[..., Any], revocation: bool) -> World:
    client, auth = await make_client(
        plugins=[bearer(), jwt(revocation=revocation), admin()],
        app=app_with_routes,
        user={"delete_user": {"enabled": True}},
        session={"fresh_age": 0},
    )
    w = World(client, auth)
    for email in ("u@example.com", "boss@example.com"):
        answer = await w.call("POST", f"{API}/sign-up/email", json={"email": email, "password": PASSWORD, "name": "N"})
        assert answer.status_code == 200
    boss = await auth.store.find_user_by_email("boss@example.com")
    await auth.store.update_user(boss["id"], {"role": "admin"})
    return w


Action = Callable[[World, str, str], Awaitable[None]]


async def sign_out(w: World, a: str, b: str) -> None:
    assert (await w.call("POST", f"{API}/sign-out", a)).status_code == 200


async def revoke_session(w: World, a: str, b: str) -> None:
    token = a.split(".")[0]
    assert (await w.call("POST", f"{API}/revoke-session", b, json={"token": token})).status_code == 200


async def revoke_other_sessions(w: World, a: str, b: str) -> None:
    assert (await w.call("POST", f"{API}/revoke-other-sessions", b)).status_code == 200


async def revoke_sessions(w: World, a: str, b: str) -> None:
    assert (await w.call("POST", f"{API}/revoke-sessions", b)).status_code == 200


async def change_password(w: World, a: str, b: str) -> None:
    body = {"currentPassword": PASSWORD, "newPassword": "another-password-1", "revokeOtherSessions": True}
    assert (await w.call("POST", f"{API}/change-password", b, json=body)).status_code == 200


async def ban(w: World, a: str, b: str) -> None:
    boss, _ = await w.device("boss@example.com")
    user = await w.auth.store.find_user_by_email("u@example.com")
    assert (await w.call("POST", f"{API}/admin/ban-user", boss, json={"userId": user["id"]})).status_code == 200


async def admin_revokes(w: World, a: str, b: str) -> None:
    boss, _ = await w.device("boss@example.com")
    user = await w.auth.store.find_user_by_email("u@example.com")
    body = {"userId": user["id"]}
    assert (await w.call("POST", f"{API}/admin/revoke-user-sessions", boss, json=body)).status_code == 200


async def delete_user(w: World, a: str, b: str) -> None:
    assert (await w.call("POST", f"{API}/delete-user", b, json={"password": PASSWORD})).status_code == 200


# (action, is device A's JWT refused after it, is device B's)
CASES: dict[str, tuple[Action, bool, bool]] = {
    "sign-out": (sign_out, True, False),
    "revoke-session": (revoke_session, True, False),
    "revoke-other-sessions": (revoke_other_sessions, True, False),
    "revoke-sessions": (revoke_sessions, True, True),
    "change-password revoking other sessions": (change_password, True, True),
    "ban": (ban, True, True),
    "admin revokes the user's sessions": (admin_revokes, True, True),
    "delete-user": (delete_user, True, True),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_a_jwt_dies_with_its_session(make_client: Callable[..., Any], case: str) -> None:
    action, a_refused, b_refused = CASES[case]
    w = await world(make_client, revocation=True)
    a_session, a_jwt = await w.device("u@example.com")
    b_session, b_jwt = await w.device("u@example.com")
    assert decode_jwt_unverified(a_jwt)["sid"]
    assert await w.accepted(a_jwt) and await w.accepted(b_jwt)
    await action(w, a_session, b_session)
    assert await w.accepted(a_jwt) is not a_refused
    if case not in ("ban", "delete-user"):  # a banned or deleted user is refused by current_user anyway
        assert await w.accepted(b_jwt) is not b_refused


@pytest.mark.parametrize("case", ["sign-out", "revoke-sessions", "change-password revoking other sessions"])
async def test_without_revocation_jwts_live_until_they_expire(make_client: Callable[..., Any], case: str) -> None:
    # Better Auth's behaviour: the claims route (require_jwt) keeps accepting the JWT after the session ended.
    action, _, _ = CASES[case]
    w = await world(make_client, revocation=False)
    a_session, a_jwt = await w.device("u@example.com")
    b_session, _ = await w.device("u@example.com")
    assert "sid" not in decode_jwt_unverified(a_jwt)
    await action(w, a_session, b_session)
    assert (await w.call("GET", "/claims", a_jwt)).status_code == 200


async def test_a_new_session_after_revocation_gets_working_jwts(make_client: Callable[..., Any]) -> None:
    w = await world(make_client, revocation=True)
    a_session, a_jwt = await w.device("u@example.com")
    await sign_out(w, a_session, a_session)
    _, fresh = await w.device("u@example.com")
    assert not await w.accepted(a_jwt) and await w.accepted(fresh)


@pytest.mark.redis
async def test_revocation_reaches_every_worker_through_redis(tmp_path: Any) -> None:
    # Two workers (two BetterAuth instances) on one database and one Redis: a sign-out on one refuses the
    # JWT on the other in the very next request.
    from asgi_lifespan import LifespanManager

    from fastapi_betterauth import BetterAuth
    from fastapi_betterauth.storage import RedisStorage
    from tests._services import REDIS_URL, drop_redis_keys, redis_storage
    from tests.conftest import BASE_URL, FastTestHasher, make_settings

    probe = await redis_storage()
    assert isinstance(probe, RedisStorage)
    database = f"sqlite+aiosqlite:///{tmp_path}/workers.db"
    workers = []
    for _ in range(2):
        storage = RedisStorage(REDIS_URL, key_prefix=probe.key_prefix)
        auth = BetterAuth(
            make_settings(),
            database=database,
            plugins=[bearer(), jwt(revocation=True)],
            password_hasher=FastTestHasher(),
            secondary_storage=storage,
        )
        await auth.create_schema()
        workers.append(auth)
    async with LifespanManager(app_with_routes(workers[0])) as one, LifespanManager(app_with_routes(workers[1])) as two:
        first = World(httpx.AsyncClient(transport=httpx.ASGITransport(app=one.app), base_url=BASE_URL), workers[0])
        second = World(httpx.AsyncClient(transport=httpx.ASGITransport(app=two.app), base_url=BASE_URL), workers[1])
        body = {"email": "u@example.com", "password": PASSWORD, "name": "U"}
        assert (await first.call("POST", f"{API}/sign-up/email", json=body)).status_code == 200
        session, token = await first.device("u@example.com")
        assert await second.accepted(token)
        await sign_out(first, session, session)
        assert not await second.accepted(token)
        keys = [k async for k in probe.client.scan_iter(match=probe.key_prefix + "jwt-revoked:*")]
        assert len(keys) == 1 and 0 < await probe.client.ttl(keys[0]) <= 900 + 6
        await first.client.aclose()
        await second.client.aclose()
    await drop_redis_keys(probe)


async def test_a_resource_server_sharing_the_storage_refuses_revoked_jwts(make_client: Callable[..., Any]) -> None:
    # A separate API verifying the issuer's JWTs with JWTVerifier sees the same revocations when it reads
    # the issuer's secondary storage (Redis in production; one MemoryStorage object here).
    from fastapi_betterauth import JWTVerifier, MemoryStorage
    from tests.conftest import BASE_URL

    shared = MemoryStorage()
    client, auth = await make_client(
        plugins=[bearer(), jwt(revocation=True)], app=app_with_routes, auth_options={"secondary_storage": shared}
    )
    w = World(client, auth)
    body = {"email": "u@example.com", "password": PASSWORD, "name": "U"}
    assert (await w.call("POST", f"{API}/sign-up/email", json=body)).status_code == 200
    session, token = await w.device("u@example.com")
    jwks = (await w.call("GET", f"{API}/jwks")).json()
    verifier = JWTVerifier(jwks=jwks, issuer=BASE_URL, audience=BASE_URL, revocations=shared)
    blind = JWTVerifier(jwks=jwks, issuer=BASE_URL, audience=BASE_URL)
    assert (await verifier.verify(token))["sid"]
    await sign_out(w, session, session)
    from fastapi_betterauth import JWTError

    with pytest.raises(JWTError) as refused:
        await verifier.verify(token)
    assert refused.value.reason == "revoked"
    assert (await blind.verify(token))["sub"]  # without the storage: Better Auth's behaviour
