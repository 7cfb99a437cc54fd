"""Origin, redirect-parameter and CSRF checks (protocol §6.1, §6.2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import sign_up

pytestmark = pytest.mark.anyio
CREDENTIALS = {"email": "alice@example.com", "password": "password123"}


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 403, "MISSING_OR_NULL_ORIGIN"),
        ({"origin": "null"}, 403, "MISSING_OR_NULL_ORIGIN"),
        ({"origin": "https://evil.com"}, 403, "INVALID_ORIGIN"),
        ({"origin": "http://localhost:3000"}, 200, None),
        ({"origin": "http://localhost:8000"}, 200, None),  # base_url's own origin
        ({"referer": "http://localhost:3000/page"}, 200, None),
        ({"referer": "https://evil.com/page"}, 403, "INVALID_ORIGIN"),
        ({"origin": "null", "sec-fetch-site": "same-origin"}, 200, None),  # the request's own URL is used
    ],
)
async def test_cookie_requests_need_a_trusted_origin(
    client: httpx.AsyncClient, headers: dict[str, str], status: int, code: str | None
) -> None:
    await sign_up(client)
    r = await client.post("/api/auth/update-user", json={"name": "Bob"}, headers=headers)
    assert r.status_code == status, r.text
    if code:
        assert r.json()["code"] == code


async def test_requests_without_cookies_are_not_origin_checked(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/auth/sign-out", json={}, headers={"origin": "https://evil.com"})
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/dashboard", 200),
        ("http://localhost:3000/welcome", 200),
        ("https://evil.com/x", 403),
        ("//evil.com/x", 403),
        ("/\\evil.com", 403),
        ("/%2F%2Fevil.com", 403),
        ("javascript:alert(1)", 403),
    ],
)
async def test_callback_url_must_be_trusted(client: httpx.AsyncClient, url: str, status: int) -> None:
    await sign_up(client)
    client.cookies.clear()
    r = await client.post("/api/auth/sign-in/email", json={**CREDENTIALS, "callbackURL": url})
    assert r.status_code == status, r.text
    if status == 403:
        assert r.json() == {"message": "Invalid callbackURL", "code": "INVALID_CALLBACK_URL"}


async def test_non_string_callback_url(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/auth/sign-in/email", json={**CREDENTIALS, "callbackURL": 5})
    assert r.status_code == 400 and r.json() == {"message": "Invalid callbackURL: expected a string"}


async def test_wildcard_trusted_origins(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(trusted_origins=["https://*.example.com", "myapp://"])
    await sign_up(client)
    ok = await client.post("/api/auth/update-user", json={"name": "B"}, headers={"origin": "https://app.example.com"})
    assert ok.status_code == 200
    bad = await client.post("/api/auth/update-user", json={"name": "B"}, headers={"origin": "https://example.org"})
    assert bad.status_code == 403
    client.cookies.clear()
    deep = await client.post("/api/auth/sign-in/email", json={**CREDENTIALS, "callbackURL": "myapp://done"})
    assert deep.status_code == 200


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate"}, 403, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED"),
        ({"sec-fetch-mode": "cors"}, 403, "MISSING_OR_NULL_ORIGIN"),
        ({"sec-fetch-site": "same-origin", "origin": "http://localhost:3000"}, 200, None),
        ({"origin": "https://evil.com"}, 403, "INVALID_ORIGIN"),
        ({}, 200, None),  # curl / server-to-server
    ],
)
async def test_sign_in_csrf_rules(
    client: httpx.AsyncClient, headers: dict[str, str], status: int, code: str | None
) -> None:
    await sign_up(client)
    client.cookies.clear()
    r = await client.post("/api/auth/sign-in/email", json=CREDENTIALS, headers=headers)
    assert r.status_code == status, r.text
    if code:
        assert r.json()["code"] == code


async def test_origin_check_can_be_disabled(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(advanced={"disable_origin_check": True})
    await sign_up(client)
    r = await client.post("/api/auth/update-user", json={"name": "B"}, headers={"origin": "https://evil.com"})
    assert r.status_code == 200
