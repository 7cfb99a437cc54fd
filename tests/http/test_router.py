"""Generic router behaviour (protocol §0.1) and malformed input: always a 4xx JSON error, never a 500."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastapi_betterauth import FileOutboxSender, bearer
from tests.conftest import ORIGIN, sign_up

pytestmark = pytest.mark.anyio

POST_ROUTES = [
    "/sign-up/email",
    "/sign-in/email",
    "/sign-out",
    "/revoke-session",
    "/revoke-sessions",
    "/revoke-other-sessions",
    "/update-user",
    "/update-session",
    "/verify-password",
    "/get-session",
    "/change-password",
    "/change-email",
    "/delete-user",
    "/request-password-reset",
    "/reset-password",
    "/send-verification-email",
    "/unlink-account",
]
MAIL_FLOWS: dict[str, Any] = {"user": {"change_email": {"enabled": True}, "delete_user": {"enabled": True}}}
LINK_ROUTES = ["/verify-email", "/reset-password/{token}", "/delete-user/callback"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope"),
        ("GET", "/sign-in/email"),
        ("HEAD", "/ok"),
        ("OPTIONS", "/get-session"),
        ("GET", "/get-session/"),
        ("GET", "//get-session"),
        ("PUT", "/update-user"),
        ("POST", "/set-password"),
        ("POST", "/forget-password"),
    ],
)
async def test_unknown_paths_and_wrong_methods_are_empty_404s(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    r = await client.request(method, "/api/auth" + path)
    assert r.status_code == 404
    assert r.content == b""
    assert "content-type" not in r.headers


async def test_unsupported_media_type(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/auth/update-user", content=b"name=x", headers={"content-type": "text/plain"})
    assert r.status_code == 415
    assert r.json() == {
        "message": 'Content-Type "text/plain" is not allowed. Allowed types: application/json',
        "code": "UNSUPPORTED_MEDIA_TYPE",
    }
    form_only = await client.post(
        "/api/auth/update-user", content=b"name=x", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert form_only.status_code == 415
    sign_in = await client.post("/api/auth/sign-in/email", content=b"x", headers={"content-type": "text/plain"})
    assert sign_in.json()["message"] == (
        'Content-Type "text/plain" is not allowed. Allowed types: application/x-www-form-urlencoded, application/json'
    )


async def test_form_bodies_on_sign_up_and_sign_in(client: httpx.AsyncClient) -> None:
    up = await client.post(
        "/api/auth/sign-up/email", data={"email": "form@example.com", "password": "password123", "name": "Form"}
    )
    assert up.status_code == 200, up.text
    client.cookies.clear()
    inn = await client.post("/api/auth/sign-in/email", data={"email": "form@example.com", "password": "password123"})
    assert inn.status_code == 200
    assert inn.json()["user"]["email"] == "form@example.com"


async def test_malformed_json_and_charset(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/auth/sign-in/email", content=b"{nope", headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json() == {"message": "Invalid JSON in request body", "code": "BAD_REQUEST"}
    ok = await client.post(
        "/api/auth/sign-up/email",
        content=json.dumps({"email": "c@example.com", "password": "password123", "name": "C"}).encode(),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert ok.status_code == 200


async def test_body_without_content_type_counts_as_absent(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/auth/sign-in/email", content=b'{"email":"a@b.co"}')
    assert r.status_code == 400
    assert r.json() == {
        "message": "[body] Invalid input: expected object, received undefined",
        "code": "VALIDATION_ERROR",
    }


async def test_validation_messages(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/auth/sign-up/email", json={"email": "a@b.co", "password": "password123"})
    assert r.status_code == 400
    assert r.json() == {
        "message": "[body.name] Invalid input: expected string, received undefined",
        "code": "VALIDATION_ERROR",
    }
    r = await client.post("/api/auth/sign-up/email", json={"email": "a@b.co", "password": "", "name": "x", "image": 3})
    assert r.json()["code"] == "VALIDATION_ERROR"
    assert "[body.password] Too small: expected string to have >=1 characters" in r.json()["message"]
    assert "[body.image] Invalid input: expected string, received number" in r.json()["message"]


async def test_oversized_body_is_413_json(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client(max_body_size=2048)
    r = await client.post("/api/auth/sign-up/email", json={"email": "a@b.co", "password": "p" * 4096, "name": "x"})
    assert r.status_code == 413
    assert r.json()["code"] == "PAYLOAD_TOO_LARGE"


async def test_nul_bytes_are_refused_before_the_database(client: httpx.AsyncClient) -> None:
    for body in (
        {"email": "a@b.co", "password": "password123", "name": "x\x00y"},
        {"email": "a\x00@b.co", "password": "password123", "name": "x"},
        {"email": "a@b.co", "password": "pass\x00word123", "name": "x"},
    ):
        r = await client.post("/api/auth/sign-up/email", json=body)
        assert r.status_code == 400, body
        assert r.json()["code"] == "VALIDATION_ERROR"
    # Keys no route reads are ignored whole, as Better Auth ignores them (OpenAPI can then say exactly what is
    # refused); a NUL in a stored additional field is refused (tests/protocol/test_additional_fields.py).
    ignored = {"email": "c@b.co", "password": "password123", "name": "x", "extra\x00": "y\x00"}
    r = await client.post("/api/auth/sign-up/email", json=ignored)
    assert r.status_code == 200 and "extra" not in r.text


async def test_unpaired_surrogates_are_refused_before_the_database(client: httpx.AsyncClient) -> None:
    """JSON may escape a lone "\\ud800", which no UTF-8 column nor answer can hold: 400, not a 500."""
    for field in ("name", "email", "password"):
        raw = json.dumps({"email": "a@b.co", "password": "password123", "name": "x", field: "a\udfffb"})
        r = await client.post("/api/auth/sign-up/email", content=raw, headers={"content-type": "application/json"})
        assert (r.status_code, r.json()["code"]) == (400, "VALIDATION_ERROR"), raw
        assert r.json()["message"] == f"[body.{field}] Invalid input: unpaired UTF-16 surrogates are not allowed"


async def test_deeply_nested_and_invalid_utf8_bodies(client: httpx.AsyncClient) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    r = await client.post("/api/auth/sign-in/email", content=deep, headers={"content-type": "application/json"})
    assert r.status_code in (400, 413)
    bad = await client.post(
        "/api/auth/sign-in/email", content=b'{"email":"\xff\xfe"}', headers={"content-type": "application/json"}
    )
    assert bad.status_code == 400
    form = await client.post(
        "/api/auth/sign-in/email",
        content=b"email=%ff%fe",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 400


@pytest.mark.parametrize(
    "cookie",
    [
        "better-auth.session_token=garbage",
        "better-auth.session_token=%",
        "better-auth.session_token=%ZZ%ZZ",
        "better-auth.session_token=tok." + "A" * 43 + "=",
        "better-auth.session_token=" + "x" * 5000,
        "better-auth.session_token=\x7f\x01",
        "better-auth.session_token=a; better-auth.session_token=b",
        "=;;;=====",
    ],
)
async def test_bad_cookies_are_anonymous_not_errors(client: httpx.AsyncClient, cookie: str) -> None:
    r = await client.get("/api/auth/get-session", headers={"cookie": cookie})
    assert r.status_code == 200
    assert r.json() is None
    protected = await client.get("/api/auth/list-sessions", headers={"cookie": cookie})
    assert protected.status_code == 401
    assert protected.json() == {"message": "Unauthorized", "code": "UNAUTHORIZED"}


async def test_tampered_signature_is_refused(client: httpx.AsyncClient) -> None:
    await sign_up(client)
    good = client.cookies.get("better-auth.session_token")
    assert good is not None
    token, _, sig = good.partition(".")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B") + "." + sig
    client.cookies.clear()
    r = await client.get("/api/auth/get-session", headers={"cookie": f"better-auth.session_token={tampered}"})
    assert r.json() is None


# Text, sometimes with a lone surrogate: json.dumps escapes it ("\ud800"), as a hostile client may send it.
TEXT = st.text(max_size=30) | st.builds(str.__add__, st.text(max_size=10), st.characters(categories=["Cs"]))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)
FIELDS = st.sampled_from(
    [
        "email",
        "password",
        "name",
        "image",
        "callbackURL",
        "rememberMe",
        "token",
        "emailVerified",
        "id",
        "role",
        "newPassword",
        "currentPassword",
        "revokeOtherSessions",
        "newEmail",
        "redirectTo",
        "accountId",
    ]
)
BODIES = JSON | st.dictionaries(FIELDS, JSON, max_size=6)


def _examples(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """Draw ``count`` examples with hypothesis (shrinking is useless here: each is sent over HTTP)."""
    drawn: list[Any] = []

    @settings(max_examples=count, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(value=strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    collect()
    return drawn


@pytest.mark.parametrize("path", POST_ROUTES)
async def test_arbitrary_json_never_causes_a_server_error(
    make_client: Callable[..., Any], path: str, tmp_path: Path
) -> None:
    client, _ = await make_client(
        auth_options={"email_sender": FileOutboxSender(tmp_path / "mail.jsonl")}, **MAIL_FLOWS
    )
    await sign_up(client, email="fuzz@example.com")
    bodies = _examples(BODIES, 40)
    assert bodies
    for body in bodies:
        headers = {**ORIGIN, "content-type": "application/json"}
        r = await client.post("/api/auth" + path, content=json.dumps(body), headers=headers)
        assert r.status_code < 500, (path, body, r.text)
        if r.status_code >= 400 and r.content:
            payload = r.json()
            assert isinstance(payload, dict) and "message" in payload, (path, body, r.text)


TOKENS = st.text(max_size=300) | st.from_regex(r"eyJ[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_.-]{0,80}", fullmatch=True)
CALLBACKS = st.none() | st.text(max_size=40) | st.sampled_from(["/done", "/done?a=1", "https://evil.example", "//evil"])


@pytest.mark.parametrize("path", LINK_ROUTES)
async def test_arbitrary_link_tokens_never_cause_a_server_error(
    make_client: Callable[..., Any], path: str, tmp_path: Path
) -> None:
    """Whatever a mail client does to a link, the answer is a documented error or redirect, never a 500."""
    client, _ = await make_client(
        auth_options={"email_sender": FileOutboxSender(tmp_path / "mail.jsonl")}, **MAIL_FLOWS
    )
    await sign_up(client, email="links@example.com")
    for token, callback in _examples(st.tuples(TOKENS, CALLBACKS), 60):
        params = {} if callback is None else {"callbackURL": callback}
        if "{token}" in path:
            url = "/api/auth" + path.replace("{token}", quote(token, safe="") or "x")
            params.setdefault("callbackURL", "/reset")
        else:
            url = "/api/auth" + path
            params["token"] = token
        r = await client.get(url, params=params)
        assert r.status_code in (200, 302, 400, 401, 403, 404), (path, token, callback, r.status_code, r.text)
        if r.status_code == 302:
            assert r.headers["location"], (path, token)
        elif r.status_code >= 400 and r.content:
            assert "message" in r.json(), (path, token, r.text)


ADMIN_POST_ROUTES = [
    "/admin/set-role",
    "/admin/create-user",
    "/admin/update-user",
    "/admin/ban-user",
    "/admin/unban-user",
    "/admin/list-user-sessions",
    "/admin/revoke-user-session",
    "/admin/revoke-user-sessions",
    "/admin/remove-user",
    "/admin/set-user-password",
    "/admin/impersonate-user",
    "/admin/has-permission",
]
ADMIN_FIELDS = st.sampled_from(
    [
        "userId",
        "role",
        "data",
        "email",
        "name",
        "password",
        "banReason",
        "banExpiresIn",
        "sessionToken",
        "newPassword",
        "permissions",
        "permission",
    ]
)
ADMIN_BODIES = JSON | st.dictionaries(ADMIN_FIELDS, JSON, max_size=6)


@pytest.mark.parametrize("path", ADMIN_POST_ROUTES)
async def test_arbitrary_json_on_admin_routes_never_causes_a_server_error(
    make_client: Callable[..., Any], path: str
) -> None:
    from fastapi_betterauth import admin, bearer

    client, auth = await make_client(plugins=[bearer(), admin()])
    response = await sign_up(client, email="root@example.com")
    await auth.store.update_user(response.json()["user"]["id"], {"role": "admin"})
    headers = {"Authorization": f"Bearer {response.headers['set-auth-token']}", "content-type": "application/json"}
    client.cookies.clear()
    for body in _examples(ADMIN_BODIES, 40):
        r = await client.post("/api/auth" + path, content=json.dumps(body), headers=headers)
        assert r.status_code < 500, (path, body, r.text)
        if r.status_code >= 400 and r.content:
            assert "message" in r.json(), (path, body, r.text)


async def test_a_session_token_in_the_url_is_never_a_credential(make_client: Callable[..., Any]) -> None:
    """ASVS 3.1.1: tokens are read from the Cookie and Authorization headers only, never from the query."""
    client, _ = await make_client(plugins=[bearer()])
    signed_up = await client.post(
        "/api/auth/sign-up/email", json={"email": "q@example.com", "password": "password123", "name": "Q"}
    )
    token, signed = signed_up.json()["token"], signed_up.headers["set-auth-token"]
    client.cookies.clear()
    for name in ("token", "session_token", "better-auth.session_token", "authorization", "access_token"):
        for value in (token, signed, f"Bearer {signed}"):
            r = await client.get("/api/auth/get-session", params={name: value})
            assert r.status_code == 200 and r.json() is None, (name, value)
    assert (await client.get("/api/auth/get-session", headers={"Authorization": f"Bearer {signed}"})).json()


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/auth/verify-email", [("token", "a"), ("token", "b")]),
        ("/api/auth/verify-email", [("token", "a"), ("callbackURL", "/x"), ("callbackURL", "https://evil.com")]),
        ("/api/auth/reset-password/t", [("callbackURL", "/x"), ("callbackURL", "https://evil.com")]),
    ],
)
async def test_repeated_parameters_are_refused_not_merged(
    client: httpx.AsyncClient, path: str, query: list[tuple[str, str]]
) -> None:
    """ASVS 5.1.1 (parameter pollution): a repeated parameter is a 400, never one of its values picked."""
    r = await client.get(path, params=query)
    assert r.status_code == 400, r.text
    assert "location" not in r.headers and "evil" not in r.text
