"""Rate limiting (protocol §6.3): production default, Better Auth's special rules, 429 + X-Retry-After."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from fastapi_betterauth.protection.rate_limit import rule_for
from fastapi_betterauth.settings import RateLimitSettings
from tests.conftest import ORIGIN

pytestmark = pytest.mark.anyio
STRONG = "Q3v9-kL2pX8mZ7rT4wY1sN6bH0jF5gD2cA9eU"
CREDS = {"email": "a@example.com", "password": "password123"}


def test_rules() -> None:
    settings = RateLimitSettings()
    assert rule_for(settings, "/sign-in/email") == rule_for(settings, "/sign-up/email")
    assert (rule_for(settings, "/sign-in/email").window, rule_for(settings, "/sign-in/email").max) == (10, 3)  # type: ignore[union-attr]
    assert (
        rule_for(settings, "/request-password-reset").window,
        rule_for(settings, "/request-password-reset").max,
    ) == (60, 3)  # type: ignore[union-attr]
    assert (rule_for(settings, "/get-session").window, rule_for(settings, "/get-session").max) == (10, 100)  # type: ignore[union-attr]
    custom = RateLimitSettings(custom_rules={"/get-session": False, "/admin/*": {"window": 5, "max": 1}})
    assert rule_for(custom, "/get-session") is None
    assert rule_for(custom, "/admin/list-users").max == 1  # type: ignore[union-attr]


def from_peer(client: httpx.AsyncClient, ip: str) -> httpx.AsyncClient:
    """Another client of the same app, connecting from ``ip``."""
    app = client._transport.app  # type: ignore[attr-defined]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 40000)), base_url=str(client.base_url))


async def test_fourth_sign_in_in_ten_seconds_is_429_per_client(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(environment="production", secret=STRONG)
    async with from_peer(client, "203.0.113.1") as a, from_peer(client, "203.0.113.2") as b:
        for _ in range(3):
            r = await a.post("/api/auth/sign-in/email", json=CREDS, headers=ORIGIN)
            assert r.status_code == 401
        limited = await a.post("/api/auth/sign-in/email", json=CREDS, headers=ORIGIN)
        assert limited.status_code == 429
        assert limited.json() == {"message": "Too many requests. Please try again later."}
        assert 1 <= int(limited.headers["x-retry-after"]) <= 10
        assert (await b.post("/api/auth/sign-in/email", json=CREDS, headers=ORIGIN)).status_code == 401
        # other paths have their own bucket
        assert (await a.get("/api/auth/get-session")).status_code == 200


@pytest.mark.parametrize("environment", ["development", "production"])
async def test_on_by_default_in_every_environment_but_test(make_client: Callable[..., Any], environment: str) -> None:
    client, _ = await make_client(environment=environment, secret=STRONG)
    statuses = [
        (await client.post("/api/auth/sign-in/email", json=CREDS, headers=ORIGIN)).status_code for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]


async def test_off_by_default_in_the_test_environment(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(environment="test", lockout={"enabled": False})
    for _ in range(6):
        assert (await client.post("/api/auth/sign-in/email", json=CREDS, headers=ORIGIN)).status_code == 401


async def test_a_rotating_forwarded_for_header_changes_nothing(make_client: Callable[..., Any]) -> None:
    """The review's finding: 200 wrong passwords with a fresh X-Forwarded-For each got no 429."""
    client, _ = await make_client(rate_limit={"enabled": True}, lockout={"enabled": False})
    statuses = [
        (
            await client.post(
                "/api/auth/sign-in/email",
                json=CREDS,
                headers={**ORIGIN, "x-forwarded-for": f"198.51.{i // 250}.{i % 250}", "x-real-ip": f"10.0.0.{i % 250}"},
            )
        ).status_code
        for i in range(200)
    ]
    assert statuses[:3] == [401, 401, 401]
    assert set(statuses[3:]) == {429}


async def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(rate_limit={"enabled": True}, advanced={"trusted_proxies": ["127.0.0.1"]})

    async def sign_in(ip: str) -> int:
        r = await client.post("/api/auth/sign-in/email", json=CREDS, headers={**ORIGIN, "x-forwarded-for": ip})
        return r.status_code

    assert [await sign_in("203.0.113.1") for _ in range(4)] == [401, 401, 401, 429]
    assert await sign_in("203.0.113.2") == 401
    # the proxy appends the real peer: whatever the client wrote to the left is skipped
    assert await sign_in("203.0.113.2, 203.0.113.1") == 429


async def test_clients_without_a_trusted_ip_are_keyed_by_peer_address(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(rate_limit={"enabled": True, "window": 10, "max": 2})
    assert (await client.get("/api/auth/ok")).status_code == 200
    assert (await client.get("/api/auth/ok")).status_code == 200
    assert (await client.get("/api/auth/ok")).status_code == 429
    # unknown paths count too: the limiter runs before routing
    assert (await client.get("/api/auth/nope")).status_code == 404
    assert (await client.get("/api/auth/nope")).status_code == 404
    assert (await client.get("/api/auth/nope")).status_code == 429
