"""GET /ok and GET /error (protocol §1.1, §1.2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.protocol._helpers import API

pytestmark = pytest.mark.anyio
STRONG_SECRET = "Q3v9-kL2pX8mZ7rT4wY1sN6bH0jF5gD2cA9eU"


async def test_ok(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/ok")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == b'{"ok":true}'
    assert "set-cookie" not in response.headers


async def test_error_page_is_html_with_the_code(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/error", params={"error": "INVALID_TOKEN", "error_description": "Bad <b>"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html"
    assert "INVALID_TOKEN" in response.text
    assert "<b>" not in response.text, "the description must be escaped"


@pytest.mark.parametrize("code", ["<script>", "a b", "x;y", ""])
async def test_error_page_replaces_unsafe_codes_with_unknown(client: httpx.AsyncClient, code: str) -> None:
    response = await client.get(f"{API}/error", params={"error": code})
    assert response.status_code == 200
    assert "UNKNOWN" in response.text
    if code:
        assert code not in response.text


async def test_error_page_without_code(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/error")
    assert response.status_code == 200
    assert "UNKNOWN" in response.text


async def test_error_redirects_in_production(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(environment="production", secret=STRONG_SECRET)
    response = await client.get(f"{API}/error", params={"error": "INVALID_TOKEN"})
    assert response.status_code == 302
    assert response.headers["location"] == "/?error=INVALID_TOKEN"
    assert response.content == b""
    assert "content-type" not in response.headers

    described = await client.get(f"{API}/error", params={"error": "state_mismatch", "error_description": "a b"})
    assert described.status_code == 302
    assert described.headers["location"] == "/?error=state_mismatch&error_description=a+b"
