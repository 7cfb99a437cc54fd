"""Account-lifecycle tokens cross between the Python server and the real Better Auth 1.7.24 server.

Both servers share one database and one secret, with mail logs: a link or token minted by one server
is used on the other, and the answers are compared with those the minting server itself gives. Email
verification links are stateless JWTs (§7.1, §7.2); reset and delete-account tokens are rows of the
``verification`` table (§7.3, §7.4).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from .conftest import ORIGIN, Server, db_query, python_database_url

pytestmark = pytest.mark.interop

PASSWORD = "correct horse battery staple"
PY_SETTINGS = {
    "user": {"change_email": {"enabled": True}, "delete_user": {"enabled": True, "send_verification_email": True}}
}
TS_OPTIONS = {
    "user": {"changeEmail": {"enabled": True}, "deleteUser": {"enabled": True, "sendDeleteAccountVerification": True}}
}


class Mailed:
    """One server of the pair, with its mail log."""

    def __init__(self, server: Server, mail_log: Path) -> None:
        self.server = server
        self.mail_log = mail_log

    @property
    def name(self) -> str:
        return self.server.name

    def url(self, path: str) -> str:
        return f"{self.server.url}/api/auth{path}"

    def post(self, path: str, body: Any = None, cookie: str | None = None) -> httpx.Response:
        headers = {"Origin": ORIGIN, **({"Cookie": cookie} if cookie else {})}
        return httpx.post(self.url(path), json={} if body is None else body, headers=headers, timeout=30)

    def get(self, path: str, params: dict[str, str] | None = None, cookie: str | None = None) -> httpx.Response:
        headers = {"Cookie": cookie} if cookie else {}
        return httpx.get(self.url(path), params=params, headers=headers, timeout=30)

    def sign_up(self, email: str) -> str:
        response = self.post("/sign-up/email", {"email": email, "password": PASSWORD, "name": "Cross"})
        assert response.status_code == 200, f"{self.name} sign-up: {response.text}"
        return cookie_of(response)

    def mail(self, to: str, kinds: tuple[str, ...]) -> dict[str, Any]:
        """The newest mail of one of ``kinds`` to ``to`` (Better Auth's loggers write ``email``, Python's ``to``)."""
        import time

        for _ in range(100):
            lines = self.mail_log.read_text().splitlines() if self.mail_log.exists() else []
            found = [m for m in map(json.loads, lines) if m.get("to", m.get("email")) == to and m["kind"] in kinds]
            if found:
                return found[-1]
            time.sleep(0.1)
        raise AssertionError(f"{self.name}: no {kinds} mail to {to}")


def cookie_of(response: httpx.Response) -> str:
    for raw in response.headers.get_list("set-cookie"):
        name, _, rest = raw.partition("=")
        if name == "better-auth.session_token" and rest.split(";", 1)[0]:
            return f"{name}={rest.split(';', 1)[0]}"
    raise AssertionError(f"no session cookie in {response.headers.get_list('set-cookie')}")


def email_for(tag: str) -> str:
    return f"{tag}.{secrets.token_hex(4)}@example.com"


def answer(response: httpx.Response, server: Mailed, token: str = "") -> tuple[int, str, str]:
    """Status, Location (origin-independent, token masked) and body: comparable across servers."""
    location = response.headers.get("location", "").replace(server.server.url, "<origin>")
    return response.status_code, location.replace(token, "<token>") if token else location, response.text


@pytest.fixture
def pair(
    database: str, tmp_path: Path, start_py_server: Callable[..., Server], start_ts_server: Callable[..., Server]
) -> dict[str, Mailed]:
    py = start_py_server(python_database_url(database), settings=PY_SETTINGS, mail_log=tmp_path / "py.jsonl")
    ts = start_ts_server(database, options=TS_OPTIONS, mail_log=tmp_path / "ts.jsonl")
    return {"py": Mailed(py, tmp_path / "py.jsonl"), "ts": Mailed(ts, tmp_path / "ts.jsonl")}


DIRECTIONS = [("ts", "py"), ("py", "ts")]
IDS = ["minted-by-ts", "minted-by-python"]


@pytest.mark.parametrize(("minter", "user"), DIRECTIONS, ids=IDS)
def test_verification_links_work_on_both_servers(
    pair: dict[str, Mailed], database: str, minter: str, user: str
) -> None:
    """A verification link is answered alike by the server that minted it and by the other one."""
    mint = pair[minter]
    results = {}
    for verifier in ("py", "ts"):
        email = email_for(f"verify-{verifier}")
        mint.sign_up(email)
        sent = mint.post("/send-verification-email", {"email": email, "callbackURL": "/verified"})
        assert sent.json() == {"status": True}, sent.text
        token = mint.mail(email, ("verification",))["token"]
        server = pair[verifier]
        redirect = server.get("/verify-email", {"token": token, "callbackURL": "/verified"})
        plain = server.get("/verify-email", {"token": token})
        verified = db_query(database, 'select "emailVerified" from "user" where email = $1', email)[0]
        results[verifier] = (answer(redirect, server), answer(plain, server), bool(verified["emailVerified"]))
    assert results["py"][2], f"Python did not verify a link minted by {minter}: {results['py']}"
    assert results["py"] == results["ts"]


@pytest.mark.parametrize(("minter", "user"), DIRECTIONS, ids=IDS)
def test_reset_tokens_work_on_both_servers(pair: dict[str, Mailed], minter: str, user: str) -> None:
    """A reset requested on one server is completed on either, with the same redirects and answers."""
    mint = pair[minter]
    results = {}
    for completer in ("py", "ts"):
        email = email_for(f"reset-{completer}")
        mint.sign_up(email)
        requested = mint.post("/request-password-reset", {"email": email, "redirectTo": "/reset"})
        assert requested.status_code == 200, requested.text
        token = mint.mail(email, ("reset-password",))["token"]
        server = pair[completer]
        landing = server.get(f"/reset-password/{token}", {"callbackURL": "/reset"})
        done = server.post("/reset-password", {"newPassword": "a whole new password", "token": token})
        replay = server.post("/reset-password", {"newPassword": "yet another password", "token": token})
        results[completer] = (answer(landing, server, token), answer(done, server), answer(replay, server))
        other = pair["ts" if completer == "py" else "py"]
        signed_in = other.post("/sign-in/email", {"email": email, "password": "a whole new password"})
        assert signed_in.status_code == 200, f"the password reset on {completer} does not work on {other.name}"
    assert results["py"] == results["ts"]
    assert results["py"][1][0] == 200 and results["py"][2][0] == 400


@pytest.mark.parametrize(("minter", "user"), DIRECTIONS, ids=IDS)
def test_change_email_link_works_on_the_other_server(
    pair: dict[str, Mailed], database: str, minter: str, user: str
) -> None:
    mint, other = pair[minter], pair[user]
    email, new = email_for("change"), email_for("changed")
    cookie = mint.sign_up(email)
    changed = mint.post("/change-email", {"newEmail": new}, cookie=cookie)
    assert changed.json() == {"status": True}, changed.text
    token = mint.mail(new, ("verification", "change-email-verification"))["token"]
    response = other.get("/verify-email", {"token": token})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] is True and body["user"]["email"] == new and body["user"]["emailVerified"] is False
    rows = db_query(database, 'select email from "user" where email = $1 or email = $2', email, new)
    assert [r["email"] for r in rows] == [new]
    assert other.post("/sign-in/email", {"email": new, "password": PASSWORD}).status_code == 200


@pytest.mark.parametrize(("minter", "user"), DIRECTIONS, ids=IDS)
def test_delete_account_token_is_consumed_by_the_other_server(
    pair: dict[str, Mailed], database: str, minter: str, user: str
) -> None:
    mint, other = pair[minter], pair[user]
    email = email_for("delete")
    cookie = mint.sign_up(email)
    asked = mint.post("/delete-user", {"callbackURL": "/bye"}, cookie=cookie)
    assert asked.json() == {"success": True, "message": "Verification email sent"}, asked.text
    mail = mint.mail(email, ("delete-account",))
    assert urlsplit(mail["url"]).path == "/api/auth/delete-user/callback"
    done = other.get("/delete-user/callback", {"token": mail["token"], "callbackURL": "/bye"}, cookie=cookie)
    assert (done.status_code, done.headers.get("location")) == (302, "/bye"), done.text
    assert db_query(database, 'select id from "user" where email = $1', email) == []
    assert (
        db_query(database, 'select id from "verification" where identifier = $1', f"delete-account-{mail['token']}")
        == []
    )


@pytest.mark.parametrize(("changer", "observer"), DIRECTIONS, ids=["changed-on-ts", "changed-on-python"])
def test_change_password_revocation_is_seen_by_the_other_server(
    pair: dict[str, Mailed], changer: str, observer: str
) -> None:
    change, other = pair[changer], pair[observer]
    email = email_for("revoke")
    first = change.sign_up(email)
    second = cookie_of(other.post("/sign-in/email", {"email": email, "password": PASSWORD}))
    response = change.post(
        "/change-password",
        {"currentPassword": PASSWORD, "newPassword": "new horse battery staple", "revokeOtherSessions": True},
        cookie=first,
    )
    assert response.status_code == 200, response.text
    fresh = cookie_of(response)
    assert other.get("/get-session", cookie=first).json() is None
    assert other.get("/get-session", cookie=second).json() is None
    session = other.get("/get-session", cookie=fresh).json()
    assert session is not None and session["session"]["token"] == response.json()["token"]
    assert other.post("/sign-in/email", {"email": email, "password": "new horse battery staple"}).status_code == 200
