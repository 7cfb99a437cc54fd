"""Driving a social sign-in like a browser: our app in-process (ASGI), the identity provider over loopback HTTP.

``start`` posts ``/sign-in/social`` (or ``/link-social``); ``follow`` takes the authorization URL to the provider
without following redirects, and brings the provider's redirect back to our callback with the client's cookies,
exactly the hops a browser makes. Each step returns the raw response, so tests assert every status and header.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from tests.conftest import BASE_URL, ORIGIN

AUTH = "/api/auth"


async def start(
    client: httpx.AsyncClient, provider: str, *, path: str = "/sign-in/social", **body: Any
) -> httpx.Response:
    """POST the start of a flow (``disableRedirect`` unless given), as the official client does."""
    return await client.post(f"{AUTH}{path}", json={"provider": provider, **body}, headers=ORIGIN)


async def at_provider(url: str, *, login: Any = None) -> httpx.URL:
    """What the provider redirects the browser to after the authorization URL (``login`` drives a login UI)."""
    if login is not None:
        return login(url)  # type: ignore[no-any-return]
    async with httpx.AsyncClient(timeout=10) as browser:
        answer = await browser.get(url)
    assert answer.status_code in (302, 303), (answer.status_code, answer.text[:300])
    return httpx.URL(answer.headers["location"])


async def callback(client: httpx.AsyncClient, location: httpx.URL | str) -> httpx.Response:
    """GET our callback (the provider's redirect target) with the browser's cookies."""
    url = httpx.URL(str(location))
    assert str(url).startswith(BASE_URL), url
    return await client.get(url.raw_path.decode())


async def sign_in(
    client: httpx.AsyncClient, provider: str, *, login: Any = None, path: str = "/sign-in/social", **body: Any
) -> httpx.Response:
    """The whole round trip: start, provider, callback; the callback's answer (a 302)."""
    started = await start(client, provider, path=path, **body)
    assert started.status_code == 200, started.text
    location = await at_provider(started.json()["url"], login=login)
    return await callback(client, location)


def query(url: httpx.URL | str) -> dict[str, str]:
    """Query parameters of a URL."""
    return dict(parse_qsl(urlsplit(str(url)).query, keep_blank_values=True))


def location(response: httpx.Response) -> str:
    """The ``Location`` of a redirect (asserting it is one)."""
    assert response.status_code == 302, (response.status_code, response.text[:300])
    return response.headers["location"]
