"""Every way a frontend proves identity reaches the task routes: cookie, bearer token, EdDSA JWT, HS256 JWT.

Bad tokens of each kind are a JSON 401 with ``WWW-Authenticate``, never a 500.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt as pyjwt
import pytest

from .conftest import ORIGIN, SECRET, TodoWorld

pytestmark = pytest.mark.anyio


def hs256(claims: dict[str, Any], secret: str = SECRET, **headers: Any) -> str:
    return pyjwt.encode(claims, secret, algorithm="HS256", headers=headers or None)


def bearer(token: str) -> dict[str, str]:
    return {**ORIGIN, "Authorization": f"Bearer {token}"}


async def signed_up(world: Callable[[], TodoWorld]) -> tuple[TodoWorld, httpx.AsyncClient, dict[str, Any], str]:
    """A user signed up on the browser-like client; returns its bearer session token (set-auth-token) too."""
    w = world()
    browser = await w.start()
    r = await browser.post(
        "/api/auth/sign-up/email",
        json={"email": "a@example.com", "password": "password123", "name": "A"},
        headers=ORIGIN,
    )
    assert r.status_code == 200
    assert "set-auth-token" in r.headers["access-control-expose-headers"]
    return w, browser, r.json()["user"], r.headers["set-auth-token"]


async def test_all_four_credentials_reach_the_same_tasks(world: Callable[[], TodoWorld]) -> None:
    w, browser, user, session_token = await signed_up(world)
    created = await browser.post("/api/tasks", json={"title": "from the browser"}, headers=ORIGIN)
    assert created.status_code == 201

    token = await browser.get("/api/auth/token")
    eddsa = token.json()["token"]
    assert pyjwt.get_unverified_header(eddsa)["alg"] == "EdDSA"
    shared = hs256({"sub": user["id"], "exp": int(time.time()) + 600})

    nobody = await w.client()  # no cookies at all
    expected = ["from the browser"]
    for name, credential in [("session", session_token), ("eddsa", eddsa), ("hs256", shared)]:
        listed = await nobody.get("/api/tasks", headers=bearer(credential))
        assert listed.status_code == 200, listed.text
        assert [t["title"] for t in listed.json()] == expected
        made = await nobody.post("/api/tasks", json={"title": f"via {name}"}, headers=bearer(credential))
        assert made.status_code == 201 and made.json()["user_id"] == user["id"]
        expected.append(f"via {name}")
    assert [t["title"] for t in (await browser.get("/api/tasks")).json()] == expected
    assert not nobody.cookies


async def test_get_session_hands_out_the_jwt_header(world: Callable[[], TodoWorld]) -> None:
    _, browser, user, _ = await signed_up(world)
    r = await browser.get("/api/auth/get-session")
    assert pyjwt.decode(r.headers["set-auth-jwt"], options={"verify_signature": False})["sub"] == user["id"]


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def attacks(user_id: str, eddsa: str) -> dict[str, str]:
    now = int(time.time())
    good = {"sub": user_id, "exp": now + 600}
    h, p, s = eddsa.split(".")
    flipped = s[:-2] + ("A" if s[-2] != "A" else "B") + s[-1]
    return {
        "malformed": "not-a-jwt",
        "three garbage parts": "a.b.c",
        "different secret": hs256(good, secret="another-secret-0123456789abcdef0123456789"),
        "expired": hs256({"sub": user_id, "exp": now - 3600}),
        "not yet valid": hs256({**good, "nbf": now + 3600}),
        "no exp": hs256({"sub": user_id}),
        "no sub": hs256({"exp": now + 600}),
        "empty sub": hs256({"sub": "", "exp": now + 600}),
        "unknown user": hs256({"sub": "no-such-user", "exp": now + 600}),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(good)}.",
        "HS256 signed with nothing": f"{_b64({'alg': 'HS256'})}.{_b64(good)}.",
        "bit-flipped EdDSA signature": f"{h}.{p}.{flipped}",
        "EdDSA payload swapped": f"{h}.{_b64({**good, 'sub': 'someone-else'})}.{s}",
        "truncated EdDSA": eddsa[:-10],
        "oversized header": hs256(good, pad="x" * 20_000),
    }


async def test_bad_tokens_are_401_with_a_challenge(world: Callable[[], TodoWorld]) -> None:
    w, browser, user, _ = await signed_up(world)
    eddsa = (await browser.get("/api/auth/token")).json()["token"]
    nobody = await w.client()
    for name, token in attacks(user["id"], eddsa).items():
        r = await nobody.get("/api/tasks", headers=bearer(token))
        assert r.status_code == 401, (name, r.status_code, r.text)
        assert r.headers["content-type"] == "application/json", name
        assert set(r.json()) == {"message", "code"}, name
        assert r.headers["www-authenticate"].startswith("Bearer"), name


async def test_expired_token_says_so(world: Callable[[], TodoWorld]) -> None:
    w, _, user, _ = await signed_up(world)
    nobody = await w.client()
    r = await nobody.get("/api/tasks", headers=bearer(hs256({"sub": user["id"], "exp": int(time.time()) - 60})))
    assert r.status_code == 401 and r.json()["code"] == "TOKEN_EXPIRED"
    assert 'error="invalid_token"' in r.headers["www-authenticate"]


async def test_signed_out_session_token_stops_working(world: Callable[[], TodoWorld]) -> None:
    w, browser, _, session_token = await signed_up(world)
    nobody = await w.client()
    assert (await nobody.get("/api/tasks", headers=bearer(session_token))).status_code == 200
    assert (await browser.post("/api/auth/sign-out", headers=ORIGIN)).status_code == 200
    assert (await nobody.get("/api/tasks", headers=bearer(session_token))).status_code == 401


async def test_deleted_user_jwts_stop_working(world: Callable[[], TodoWorld]) -> None:
    """JWTs outlive sessions, but the user is re-read per request: a deleted account's JWT is refused."""
    w, browser, user, _ = await signed_up(world)
    eddsa = (await browser.get("/api/auth/token")).json()["token"]
    shared = hs256({"sub": user["id"], "exp": int(time.time()) + 600})
    await browser.post("/api/tasks", json={"title": "private"}, headers=ORIGIN)
    r = await browser.post("/api/auth/delete-user", json={"password": "password123"}, headers=ORIGIN)
    assert r.status_code == 200, r.text
    nobody = await w.client()
    for token in (eddsa, shared):
        assert (await nobody.get("/api/tasks", headers=bearer(token))).status_code == 401


async def test_without_a_configured_secret_hs256_jwts_are_not_trusted(world: Callable[[], TodoWorld]) -> None:
    """The demo runs without BETTER_AUTH_SECRET: the public development secret must not sign anyone in."""
    from fastapi_betterauth.settings import DEV_DEFAULT_SECRET

    w = world()
    client = await w.start(secret=None)
    r = await client.post(
        "/api/auth/sign-up/email", json={"email": "a@example.com", "password": "password123", "name": "A"}
    )
    user_id = r.json()["user"]["id"]
    forged = hs256({"sub": user_id, "exp": int(time.time()) + 600}, secret=DEV_DEFAULT_SECRET)
    r = await (await w.client()).get("/api/tasks", headers=bearer(forged))
    assert r.status_code == 401
