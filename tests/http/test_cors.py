"""``auth.add_cors(app)``: CORS for browser frontends, from the trusted origins and nothing else."""

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st

from fastapi_betterauth import BetterAuth, CurrentUser, MemoryAdapter, bearer, jwt
from fastapi_betterauth.integration.cors import TrustedOriginsCORSMiddleware
from fastapi_betterauth.protocol.trusted_origins import TrustedOrigins
from tests.conftest import BASE_URL, FastTestHasher, make_settings

pytestmark = pytest.mark.anyio
TRUSTED = ["http://localhost:3000", "https://*.example.com", "myapp://"]


def build(**settings: object) -> tuple[FastAPI, BetterAuth]:
    auth = BetterAuth(
        make_settings(trusted_origins=TRUSTED, **settings),
        adapter=MemoryAdapter(),
        plugins=[bearer(), jwt()],
        password_hasher=FastTestHasher(),
    )
    app = FastAPI(lifespan=auth.lifespan)
    app.include_router(auth.router)
    auth.add_cors(app, expose_headers=["x-total-count"])

    @app.get("/api/me")
    async def me(user: CurrentUser) -> dict[str, str]:
        return {"id": user.id}

    return app, auth


def preflight(origin: str) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}


@pytest.fixture
async def client() -> httpx.AsyncClient:
    app, _ = build()
    async with LifespanManager(app) as manager:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url=BASE_URL) as c:
            yield c


@pytest.mark.parametrize("origin", ["http://localhost:3000", "https://app.example.com", "https://a.b.example.com"])
async def test_a_trusted_origin_gets_a_credentialed_preflight(client: httpx.AsyncClient, origin: str) -> None:
    r = await client.options("/api/auth/sign-in/email", headers=preflight(origin))
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == origin
    assert r.headers["access-control-allow-credentials"] == "true"
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "content-type" in r.headers["access-control-allow-headers"].lower()


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.com",
        "http://localhost:3001",
        "https://example.com.evil.com",
        "https://evilexample.com",
        "http://app.example.com:8080.evil.com",
        "null",
        "myapp://",
        "http://localhost:3000/path",
        "http://user@localhost:3000",
        "HTTP://LOCALHOST:3000",  # not a serialised origin: browsers never send it
    ],
)
async def test_any_other_origin_gets_no_cors_headers(client: httpx.AsyncClient, origin: str) -> None:
    r = await client.options("/api/auth/sign-in/email", headers=preflight(origin))
    assert r.status_code == 400
    assert "access-control-allow-origin" not in r.headers
    simple = await client.get("/api/auth/ok", headers={"Origin": origin})
    assert "access-control-allow-origin" not in simple.headers


async def test_the_client_may_read_the_token_headers_on_auth_and_app_routes(client: httpx.AsyncClient) -> None:
    origin = {"Origin": "https://app.example.com"}
    body = {"email": "cors@example.com", "password": "password123", "name": "C"}
    r = await client.post("/api/auth/sign-up/email", json=body, headers=origin)
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == "https://app.example.com"
    exposed = {h.strip() for h in r.headers["access-control-expose-headers"].lower().split(",")}
    assert {"set-auth-token", "set-auth-jwt", "x-total-count"} <= exposed
    assert r.headers["set-auth-token"]  # present, and now readable by the browser client
    me = await client.get("/api/me", headers={**origin, "Authorization": f"Bearer {r.headers['set-auth-token']}"})
    assert me.status_code == 200
    assert me.headers["access-control-allow-origin"] == "https://app.example.com"
    assert me.headers["vary"].lower().count("origin") == 1


async def test_cors_and_the_origin_check_agree() -> None:
    """An origin CORS lets in is one the cookie origin check accepts, and one it refuses is refused there too."""
    app, _ = build()
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as c:
            body = {"email": "agree@example.com", "password": "password123", "name": "A"}
            assert (
                await c.post("/api/auth/sign-up/email", json=body, headers={"Origin": TRUSTED[0]})
            ).status_code == 200
            for origin, allowed in (("https://app.example.com", True), ("https://evil.com", False)):
                r = await c.post("/api/auth/update-user", json={"name": "B"}, headers={"Origin": origin})
                assert (r.status_code == 200) is allowed, r.text
                assert ("access-control-allow-origin" in r.headers) is allowed


@given(label=st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True), port=st.integers(1, 65535))
def test_only_subdomains_match_a_wildcard_pattern(label: str, port: int) -> None:
    middleware = TrustedOriginsCORSMiddleware(
        lambda scope, receive, send: None,  # type: ignore[arg-type,return-value]
        trusted=TrustedOrigins.compile(["https://*.example.com"]),
    )
    assert middleware.is_allowed_origin(f"https://{label}.example.com")
    assert not middleware.is_allowed_origin(f"http://{label}.example.com")
    assert not middleware.is_allowed_origin(f"https://{label}.example.com.evil.net")
    assert not middleware.is_allowed_origin(f"https://{label}example.com")
    assert not middleware.is_allowed_origin(f"https://{label}.example.com:{port}/")


async def test_allow_methods_defaults_to_the_rest_verbs_and_can_be_narrowed() -> None:
    default, _ = build()
    narrowed = FastAPI()
    BetterAuth(make_settings(trusted_origins=TRUSTED), adapter=MemoryAdapter()).add_cors(
        narrowed, allow_methods=["GET", "POST"]
    )
    asked = {**preflight("http://localhost:3000"), "Access-Control-Request-Method": "DELETE"}
    for app, expected in ((default, {"GET", "POST", "PUT", "PATCH", "DELETE"}), (narrowed, {"GET", "POST"})):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as c:
            r = await c.options("/api/tasks/1", headers=asked)
        allowed = {m.strip() for m in r.headers["access-control-allow-methods"].split(",")}
        assert allowed == expected
        assert r.status_code == (200 if "DELETE" in expected else 400)
