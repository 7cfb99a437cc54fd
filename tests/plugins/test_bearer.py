"""The bearer plugin over HTTP (protocol §9.2), on every storage backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI

from fastapi_betterauth import CurrentIdentity, bearer
from fastapi_betterauth.crypto.signing import sign_value
from tests.conftest import ORIGIN, SECRET

pytestmark = pytest.mark.anyio
API = "/api/auth"


async def signed_up(make_client: Callable[..., Any], **plugin_options: Any) -> tuple[httpx.AsyncClient, str]:
    client, _ = await make_client(plugins=[bearer(**plugin_options)])
    response = await client.post(
        f"{API}/sign-up/email", json={"email": "b@example.com", "password": "password123", "name": "B"}
    )
    assert response.status_code == 200
    client.cookies.clear()  # from here on, only the Authorization header
    return client, response.headers["set-auth-token"]


async def test_sign_up_exposes_the_signed_token(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(plugins=[bearer()])
    response = await client.post(
        f"{API}/sign-up/email", json={"email": "b@example.com", "password": "password123", "name": "B"}
    )
    token = response.json()["token"]
    assert response.headers["set-auth-token"] == sign_value(token, SECRET)
    assert response.headers["access-control-expose-headers"] == "set-auth-token"


@pytest.mark.parametrize("form", ["signed", "url-encoded", "raw", "lower-case scheme"])
async def test_every_accepted_form_of_the_token(make_client: Callable[..., Any], form: str) -> None:
    client, token = await signed_up(make_client)
    value = {
        "signed": f"Bearer {token}",
        "url-encoded": f"Bearer {quote(token, safe='')}",
        "raw": f"Bearer {token.split('.')[0]}",
        "lower-case scheme": f"bearer {token}",
    }[form]
    response = await client.get(f"{API}/get-session", headers={"Authorization": value})
    assert response.json()["user"]["email"] == "b@example.com"
    assert "set-auth-token" not in response.headers  # nothing refreshed, nothing re-issued


@pytest.mark.parametrize(
    "header",
    ["Bearer garbage", "Basic Zm9vOmJhcg==", "Bearer x.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "Bearer"],
)
async def test_unverifiable_headers_are_ignored(make_client: Callable[..., Any], header: str) -> None:
    client, _ = await signed_up(make_client)
    response = await client.get(f"{API}/get-session", headers={"Authorization": header})
    assert (response.status_code, response.json()) == (200, None)


async def test_wrong_signature_falls_back_to_the_cookie(make_client: Callable[..., Any]) -> None:
    client, token = await signed_up(make_client)
    raw = token.split(".")[0]
    forged = f"{raw}.{sign_value(raw, 'another-secret-0123456789abcdef0123').split('.')[1]}"
    assert (await client.get(f"{API}/get-session", headers={"Authorization": f"Bearer {forged}"})).json() is None


async def test_require_signature_refuses_raw_tokens(make_client: Callable[..., Any]) -> None:
    client, token = await signed_up(make_client, require_signature=True)
    raw = await client.get(f"{API}/get-session", headers={"Authorization": f"Bearer {token.split('.')[0]}"})
    assert raw.json() is None
    signed = await client.get(f"{API}/get-session", headers={"Authorization": f"Bearer {token}"})
    assert signed.json() is not None


async def test_bearer_only_requests_are_not_origin_checked(make_client: Callable[..., Any]) -> None:
    """A browser cannot be tricked into sending an Authorization header: no CSRF risk, no Origin needed."""
    client, token = await signed_up(make_client)
    response = await client.post(
        f"{API}/update-user", json={"name": "Renamed"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert (response.status_code, response.json()) == (200, {"status": True})
    with_cookie = await client.post(
        f"{API}/update-user",
        json={"name": "Again"},
        headers={"Authorization": f"Bearer {token}", "Cookie": "other=1", "Origin": "https://evil.example"},
    )
    assert with_cookie.status_code == 403


async def test_sign_in_and_sign_out_with_bearer(make_client: Callable[..., Any]) -> None:
    client, token = await signed_up(make_client)
    signed_in = await client.post(
        f"{API}/sign-in/email", json={"email": "b@example.com", "password": "password123"}, headers=ORIGIN
    )
    client.cookies.clear()
    second = signed_in.headers["set-auth-token"]
    assert second != token and second.split(".")[0] == signed_in.json()["token"]
    out = await client.post(f"{API}/sign-out", json={}, headers={"Authorization": f"Bearer {second}"})
    assert out.json() == {"success": True} and "set-auth-token" not in out.headers
    assert (await client.get(f"{API}/get-session", headers={"Authorization": f"Bearer {second}"})).json() is None
    assert (await client.get(f"{API}/get-session", headers={"Authorization": f"Bearer {token}"})).json() is not None


async def test_fastapi_dependencies_accept_bearer(make_client: Callable[..., Any]) -> None:
    def app(auth: Any) -> FastAPI:
        application = FastAPI(lifespan=auth.lifespan)
        application.include_router(auth.router)

        @application.get("/me")
        async def me(identity: CurrentIdentity) -> dict[str, str]:
            return {"email": identity.user.email, "via": identity.via}

        return application

    client, _ = await make_client(plugins=[bearer()], app=app)
    response = await client.post(
        f"{API}/sign-up/email", json={"email": "b@example.com", "password": "password123", "name": "B"}
    )
    token = response.headers["set-auth-token"]
    assert (await client.get("/me")).json() == {"email": "b@example.com", "via": "cookie"}
    client.cookies.clear()
    assert (await client.get("/me", headers={"Authorization": f"Bearer {token}"})).json() == {
        "email": "b@example.com",
        "via": "bearer",
    }
    anonymous = await client.get("/me")
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
