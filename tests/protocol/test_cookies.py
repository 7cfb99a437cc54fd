"""Cookie names, attributes, serialization and the signed-cookie scheme (protocol §3.1-§3.3)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from fastapi_betterauth import BetterAuth
from fastapi_betterauth.crypto.random import generate_id
from tests.conftest import SECRET
from tests.protocol._helpers import (
    API,
    EXPIRED,
    SESSION_COOKIE,
    hmac_b64,
    js_encode_uri_component,
    new_user,
    now,
    session_cookie,
    set_cookies,
    signed,
    with_cookie,
)

pytestmark = pytest.mark.anyio
HTTPS_BASE = "https://auth.example.com"
SECURE_SESSION = "__Secure-better-auth.session_token"

# OBSERVED on Better Auth 1.7.24 with the test secret (protocol §3.3).
DOC_TOKEN = "fPCeH9ckxwLLlTouztnL5CXkOXljwg0y"
DOC_COOKIE = "better-auth.session_token=fPCeH9ckxwLLlTouztnL5CXkOXljwg0y.wlpOMT5VUkozdOL3k9X4k6RAlhmAXF9FeLumNaiEy1E%3D"


async def insert_session(auth: BetterAuth, user_id: str, token: str) -> None:
    t = now()
    await auth.adapter.create(
        "session",
        {
            "id": generate_id(),
            "token": token,
            "userId": user_id,
            "expiresAt": t + timedelta(days=7),
            "createdAt": t,
            "updatedAt": t,
            "ipAddress": "",
            "userAgent": "",
        },
    )


def test_signature_helper_reproduces_the_observed_cookie() -> None:
    assert SECRET == "test-secret-0123456789abcdef0123456789abcdef"
    assert session_cookie(DOC_TOKEN) == DOC_COOKIE


async def test_observed_better_auth_cookie_is_accepted(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    body, _ = await new_user(client)
    await insert_session(auth, body["user"]["id"], DOC_TOKEN)
    response = await client.get(f"{API}/get-session", headers={"cookie": DOC_COOKIE})
    assert response.json()["session"]["token"] == DOC_TOKEN


async def test_set_cookie_is_exactly_better_auths(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{API}/sign-up/email", json={"email": "a@example.com", "password": "password123", "name": "A"}
    )
    token = response.json()["token"]
    [header] = set_cookies(response)
    name_value, *attributes = header.split("; ")
    assert attributes == ["Max-Age=604800", "Path=/", "HttpOnly", "SameSite=Lax"]
    name, value = name_value.split("=", 1)
    assert name == SESSION_COOKIE
    raw_token, dot, signature = unquote(value).rpartition(".")
    assert dot and raw_token == token
    assert signature == hmac_b64(token), "standard base64 of HMAC-SHA256(secret, token)"
    assert len(signature) == 44 and signature.endswith("=")
    assert value == js_encode_uri_component(f"{token}.{signature}")
    assert value.endswith("%3D") and not {"+", "/", "="} & set(value), "encodeURIComponent is applied"


async def test_unencoded_cookie_value_is_accepted(client: httpx.AsyncClient) -> None:
    body, _ = await new_user(client)
    raw = f"{SESSION_COOKIE}={body['token']}.{hmac_b64(body['token'])}"
    response = await client.get(f"{API}/get-session", headers={"cookie": raw})
    assert response.json()["session"]["token"] == body["token"]


async def test_double_quoted_cookie_value_is_accepted(client: httpx.AsyncClient) -> None:
    # better-call's parseCookies strips one pair of surrounding double quotes (OBSERVED accepted by 1.7.24).
    body, cookie = await new_user(client)
    name, value = cookie.split("=", 1)
    response = await client.get(f"{API}/get-session", headers={"cookie": f'{name}="{value}"'})
    assert response.json()["session"]["token"] == body["token"]


async def test_alternative_spelling_of_the_last_base64_character_is_refused(client: httpx.AsyncClient) -> None:
    # base64 decoding ignores the two spare bits of the last character: a server comparing decoded
    # bytes would accept several spellings of one signature. Only the canonical text is valid.
    body, _ = await new_user(client)
    signature = hmac_b64(body["token"])
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet.index(signature[-2])
    variant = signature[:-2] + alphabet[last ^ 1] + "="
    assert base64.b64decode(variant) == base64.b64decode(signature)
    raw = f"{SESSION_COOKIE}={body['token']}.{variant}"
    response = await client.get(f"{API}/get-session", headers={"cookie": raw})
    assert response.json() is None


async def test_cookie_signed_with_another_secret_is_refused(client: httpx.AsyncClient) -> None:
    body, _ = await new_user(client)
    forged = session_cookie(body["token"], secret="another-secret-0123456789abcdef0123456789")
    response = await client.get(f"{API}/get-session", headers={"cookie": forged})
    assert response.json() is None
    assert set_cookies(response) == []


async def test_duplicate_cookies_first_one_wins(client: httpx.AsyncClient) -> None:
    body, cookie = await new_user(client)
    garbage = f"{SESSION_COOKIE}=garbage"
    valid_first = await client.get(f"{API}/get-session", headers={"cookie": f"{cookie}; {garbage}"})
    assert valid_first.json()["session"]["token"] == body["token"]
    garbage_first = await client.get(f"{API}/get-session", headers={"cookie": f"{garbage}; {cookie}"})
    assert garbage_first.json() is None


async def test_secure_prefix_with_an_https_base_url(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(base_url=HTTPS_BASE)
    response = await client.post(
        f"{API}/sign-up/email", json={"email": "a@example.com", "password": "password123", "name": "A"}
    )
    token = response.json()["token"]
    assert set_cookies(response) == [
        f"{SECURE_SESSION}={signed(token)}; Max-Age=604800; Path=/; HttpOnly; Secure; SameSite=Lax"
    ]
    secure = session_cookie(token, name=SECURE_SESSION)
    assert (await client.get(f"{API}/get-session", headers={"cookie": secure})).json() is not None
    plain = session_cookie(token)
    assert (await client.get(f"{API}/get-session", headers={"cookie": plain})).json() is None, (
        "an https server reads only the __Secure- name"
    )

    signed_out = await client.post(f"{API}/sign-out", json={}, headers={"cookie": secure, "origin": HTTPS_BASE})
    assert set_cookies(signed_out) == [
        "__Secure-better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax",
        "__Secure-better-auth.session_data=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax",
        "__Secure-better-auth.dont_remember=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax",
    ]

    remembered_not = await client.post(
        f"{API}/sign-in/email", json={"email": "a@example.com", "password": "password123", "rememberMe": False}
    )
    token2 = remembered_not.json()["token"]
    assert set_cookies(remembered_not) == [
        f"{SECURE_SESSION}={signed(token2)}; Path=/; HttpOnly; Secure; SameSite=Lax",
        f"__Secure-better-auth.dont_remember={signed('true')}; Path=/; HttpOnly; Secure; SameSite=Lax",
    ]


async def test_http_server_ignores_secure_prefixed_cookie(client: httpx.AsyncClient) -> None:
    body, _ = await new_user(client)
    secure = session_cookie(body["token"], name=SECURE_SESSION)
    response = await client.get(f"{API}/get-session", headers={"cookie": secure})
    assert response.json() is None


async def test_use_secure_cookies_forces_the_prefix(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(advanced={"use_secure_cookies": True})
    response = await client.post(
        f"{API}/sign-up/email", json={"email": "a@example.com", "password": "password123", "name": "A"}
    )
    [header] = set_cookies(response)
    assert header.startswith(f"{SECURE_SESSION}=")
    assert header.endswith("; Max-Age=604800; Path=/; HttpOnly; Secure; SameSite=Lax")


async def test_cookie_prefix(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(advanced={"cookie_prefix": "myapp"})
    response = await client.post(
        f"{API}/sign-up/email", json={"email": "a@example.com", "password": "password123", "name": "A"}
    )
    token = response.json()["token"]
    assert set_cookies(response) == [
        f"myapp.session_token={signed(token)}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"
    ]
    cookie = f"myapp.session_token={signed(token)}"
    assert (await client.get(f"{API}/get-session", headers={"cookie": cookie})).json() is not None
    signed_out = await client.post(f"{API}/sign-out", json={}, headers=with_cookie(cookie))
    assert set_cookies(signed_out) == [c.replace("better-auth.", "myapp.") for c in EXPIRED]


async def test_session_max_age_follows_expires_in(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(session={"expires_in": 3600})
    response = await client.post(
        f"{API}/sign-up/email", json={"email": "a@example.com", "password": "password123", "name": "A"}
    )
    [header] = set_cookies(response)
    assert "; Max-Age=3600; Path=/;" in header
