"""Rate limiting (protocol §6.3): production default, Better Auth's special rules, 429 + X-Retry-After."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fastapi_betterauth.protocol.rate_limit import rule_for
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


async def test_fourth_sign_in_in_ten_seconds_is_429_per_ip(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(environment="production", secret=STRONG)
    ip_a = {**ORIGIN, "x-forwarded-for": "203.0.113.1"}
    for _ in range(3):
        r = await client.post("/api/auth/sign-in/email", json=CREDS, headers=ip_a)
        assert r.status_code == 401
    limited = await client.post("/api/auth/sign-in/email", json=CREDS, headers=ip_a)
    assert limited.status_code == 429
    assert limited.json() == {"message": "Too many requests. Please try again later."}
    assert 1 <= int(limited.headers["x-retry-after"]) <= 10
    other_ip = await client.post(
        "/api/auth/sign-in/email", json=CREDS, headers={**ORIGIN, "x-forwarded-for": "203.0.113.2"}
    )
    assert other_ip.status_code == 401
    # other paths have their own bucket
    assert (await client.get("/api/auth/get-session", headers=ip_a)).status_code == 200


async def test_off_by_default_outside_production(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client()
    for _ in range(6):
        assert (await client.post("/api/auth/sign-in/email", json=CREDS, headers=ORIGIN)).status_code == 401


async def test_clients_without_a_trusted_ip_are_keyed_by_peer_address(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(rate_limit={"enabled": True, "window": 10, "max": 2})
    assert (await client.get("/api/auth/ok")).status_code == 200
    assert (await client.get("/api/auth/ok")).status_code == 200
    assert (await client.get("/api/auth/ok")).status_code == 429
    # unknown paths count too: the limiter runs before routing
    assert (await client.get("/api/auth/nope")).status_code == 404
    assert (await client.get("/api/auth/nope")).status_code == 404
    assert (await client.get("/api/auth/nope")).status_code == 429
