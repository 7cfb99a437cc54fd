"""Redirect targets and mailed callbacks over HTTP: the account takeover of the security review, and its cousins.

The review's chain: an anonymous reset request with ``redirectTo: "https://evil.com\\@app.example.com/"`` passed
the old ``urllib`` check (host read as ``app.example.com``); the victim clicked the genuine mailed link and was
sent, token in the query, to ``evil.com`` (every browser reads that host). Each test here failed before the
WHATWG trust check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import pytest

from tests.conftest import BASE_URL, TRUSTED

from .conftest import API, PASSWORD, link_path, query_of, sign_up

pytestmark = pytest.mark.anyio
SMUGGLED = "http://evil.com\\@localhost:3000/"  # browsers: host evil.com; urllib: host localhost:3000


async def _reset_token(client: Any, inbox: Any, **extra: Any) -> str:
    r = await client.post(f"{API}/request-password-reset", json={"email": "alice@example.com", **extra})
    assert r.status_code == 200, r.text
    mail = await inbox.last("reset-password", "alice@example.com")
    token: str = mail["token"]
    return token


async def test_a_backslash_redirect_is_refused_and_nothing_is_mailed(make_mail_client: Callable[..., Any]) -> None:
    client, _, inbox = await make_mail_client()
    await sign_up(client)
    client.cookies.clear()
    r = await client.post(f"{API}/request-password-reset", json={"email": "alice@example.com", "redirectTo": SMUGGLED})
    assert (r.status_code, r.json()) == (403, {"message": "Invalid redirectURL", "code": "INVALID_REDIRECT_URL"})
    assert await inbox.count("reset-password") == 0


@pytest.mark.parametrize(
    "target",
    [
        SMUGGLED,
        "http://evil.com\\localhost:3000",
        "/\\evil.com",
        "/.//evil.com",
        "/..//evil.com",
        "http://evil.com%2F@localhost:3000/",
        "http://localhost:3000@evil.com/",
        "javascript:alert(document.cookie)",
    ],
)
async def test_the_reset_link_never_redirects_off_site(make_mail_client: Callable[..., Any], target: str) -> None:
    client, _, inbox = await make_mail_client()
    await sign_up(client)
    token = await _reset_token(client, inbox, redirectTo="/reset")
    r = await client.get(f"{API}/reset-password/{token}", params={"callbackURL": target})
    assert (r.status_code, r.json()["code"]) == (403, "INVALID_CALLBACK_URL"), r.headers.get("location")


@pytest.mark.parametrize("target", [SMUGGLED, "/.//evil.com", "https://evil.com\\.localhost:3000"])
async def test_verify_email_never_redirects_off_site(make_mail_client: Callable[..., Any], target: str) -> None:
    client, *_ = await make_mail_client()
    r = await client.get(f"{API}/verify-email", params={"token": "not-a-token", "callbackURL": target})
    assert (r.status_code, r.json()["code"]) == (403, "INVALID_CALLBACK_URL")


async def test_a_backslash_cannot_defeat_a_wildcard_pattern(make_mail_client: Callable[..., Any]) -> None:
    client, *_ = await make_mail_client(trusted_origins=["https://*.example.com"])
    for target in (
        "https://evil.com\\.example.com",
        "https://evil.com\\@x.example.com/",
        "https://evil.com/.example.com",
    ):
        r = await client.get(f"{API}/verify-email", params={"token": "x", "callbackURL": target})
        assert (r.status_code, r.json()["code"]) == (403, "INVALID_CALLBACK_URL"), target
    ok = await client.get(f"{API}/verify-email", params={"token": "x", "callbackURL": "https://app.example.com/done"})
    assert ok.status_code == 302 and ok.headers["location"] == "https://app.example.com/done?error=INVALID_TOKEN"


@pytest.mark.parametrize("target", [f"{TRUSTED}/x\r\nSet-Cookie: a=b", f"{TRUSTED}/\n", f"\x00{TRUSTED}/x"])
async def test_a_trusted_callback_with_control_characters_is_a_400(
    make_mail_client: Callable[..., Any], target: str
) -> None:
    client, *_ = await make_mail_client()
    await sign_up(client)
    client.cookies.clear()
    r = await client.post(
        f"{API}/sign-in/email", json={"email": "alice@example.com", "password": PASSWORD, "callbackURL": target}
    )
    assert r.status_code == 400, r.text
    assert r.json() == {"message": "Invalid callbackURL: control characters are not allowed"}
    link = await client.get(f"{API}/verify-email", params={"token": "x", "callbackURL": target})
    assert link.status_code == 400 and "location" not in link.headers


async def test_an_untrusted_callback_with_control_characters_stays_a_403(make_mail_client: Callable[..., Any]) -> None:
    client, *_ = await make_mail_client()
    r = await client.get(f"{API}/verify-email", params={"token": "x", "callbackURL": "https://ev\nil.com/"})
    assert (r.status_code, r.json()["code"]) == (403, "INVALID_CALLBACK_URL")


async def test_the_trusted_url_is_the_emitted_url(make_mail_client: Callable[..., Any]) -> None:
    """What was judged is what is sent: the parser's serialisation, in the mail and in the Location."""
    client, _, inbox = await make_mail_client()
    await sign_up(client)
    token = await _reset_token(client, inbox, redirectTo="HTTP://LOCALHOST:03000/reset")
    mail = await inbox.last("reset-password", "alice@example.com")
    assert unquote(query_of(mail["url"])["callbackURL"]) == f"{TRUSTED}/reset"
    followed = await client.get(link_path(mail["url"]))
    assert followed.headers["location"] == f"{TRUSTED}/reset?token={token}"
    spaced = await client.get(f"{API}/reset-password/{token}", params={"callbackURL": f"{TRUSTED}/a b?x=\u00e9"})
    assert spaced.headers["location"] == f"{TRUSTED}/a%20b?x=%C3%A9&token={token}"


async def test_python_field_names_do_not_bypass_the_checks(make_mail_client: Callable[..., Any]) -> None:
    """``callback_url`` used to fill the ``callbackURL`` field without passing the callbackURL check."""
    client, _, inbox = await make_mail_client()
    await sign_up(client)
    client.cookies.clear()
    r = await client.post(
        f"{API}/sign-in/email",
        json={"email": "alice@example.com", "password": PASSWORD, "callback_url": "https://evil.example/"},
    )
    assert r.status_code == 200
    assert r.json()["redirect"] is False and "evil" not in r.text
    r = await client.post(
        f"{API}/request-password-reset", json={"email": "alice@example.com", "redirect_to": "https://evil.example/"}
    )
    assert r.status_code == 200
    mail = await inbox.last("reset-password", "alice@example.com")
    assert mail["url"].endswith("?callbackURL=")
    r = await client.post(
        f"{API}/sign-in/email", json={"email": "alice@example.com", "password": PASSWORD, "remember_me": False}
    )
    assert "Max-Age" in r.headers["set-cookie"].split(",")[0]  # rememberMe stays true: the key was ignored


async def test_relative_targets_stay_relative_and_resolve_on_the_server(make_mail_client: Callable[..., Any]) -> None:
    client, _, inbox = await make_mail_client()
    await sign_up(client)
    token = await _reset_token(client, inbox)
    r = await client.get(f"{API}/reset-password/{token}", params={"callbackURL": "/a/../reset?x=1"})
    assert r.headers["location"] == f"{BASE_URL}/reset?x=1&token={token}"
