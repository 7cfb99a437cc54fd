"""Whatever arrives at the callback, the answer is a redirect to our own error page or the flow's: never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastapi_betterauth import BetterAuth, MemoryAdapter, oidc
from tests.conftest import BASE_URL, make_settings

pytestmark = pytest.mark.anyio

FIELDS = ("code", "state", "error", "error_description", "iss", "device_id", "user")
text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
params = st.dictionaries(st.sampled_from((*FIELDS, "x", "callbackURL")), text, max_size=6)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # The provider's discovery URL points nowhere reachable: a request that got past the state checks
    # would have to fail gracefully too.
    provider = oidc("local", client_id="c", client_secret="s", discovery_url="http://127.0.0.1:9/.well-known/x")
    auth = BetterAuth(make_settings(), adapter=MemoryAdapter(), social_providers=[provider])
    app = FastAPI()
    app.include_router(auth.router)
    async with LifespanManager(app) as manager:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url=BASE_URL) as c:
            yield c


def assert_error_redirect(response: httpx.Response) -> None:
    assert response.status_code == 302, (response.status_code, response.text[:200])
    target = response.headers["location"]
    assert target.startswith(f"{BASE_URL}/api/auth/error?error="), target
    assert "better-auth.session_token=" not in response.headers.get("set-cookie", "")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=params, provider=st.sampled_from(["local", "unknown", "a%20b", "..%2F..%2Fsign-out"]))
async def test_get_callback_never_fails(client: httpx.AsyncClient, query: dict[str, Any], provider: str) -> None:
    response = await client.get(f"/api/auth/callback/{provider}?{urlencode(query)}")
    if response.status_code == 404:
        return  # a provider id the router does not route (an encoded slash)
    assert_error_redirect(response)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.dictionaries(st.sampled_from(FIELDS), st.one_of(text, st.integers(), st.none(), st.lists(text)), max_size=5)
)
async def test_posted_callback_never_fails(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await client.post("/api/auth/callback/local", json=body)
    assert response.status_code in (302, 400), response.text
    if response.status_code == 302:
        assert response.headers["location"].startswith(f"{BASE_URL}/api/auth/callback/local?")
    else:
        assert response.json()["code"] == "VALIDATION_ERROR"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
async def test_raw_query_bytes_never_fail(client: httpx.AsyncClient, raw: bytes) -> None:
    response = await client.get("/api/auth/callback/local", params={"state": raw.decode("latin-1"), "code": "x"})
    assert_error_redirect(response)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(provider=st.text(min_size=1, max_size=20))
async def test_a_posted_callback_never_puts_raw_path_text_in_location(client: httpx.AsyncClient, provider: str) -> None:
    # The provider id comes from the path, decoded: %0d%0a or non-ASCII must not reach the Location header raw.
    from urllib.parse import quote

    response = await client.post(f"/api/auth/callback/{quote(provider, safe='')}", data={"code": "c", "state": "s"})
    if response.status_code == 404:
        return
    assert response.status_code == 302
    target = response.headers["location"]
    assert target.isascii() and "\r" not in target and "\n" not in target
    assert target.startswith(f"{BASE_URL}/api/auth/callback/")
