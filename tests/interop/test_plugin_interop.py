"""bearer + jwt + admin: the official client (with adminClient/jwtClient) against the Python server, and both
servers sharing one PostgreSQL database with the plugins on.

plugin_flow.mjs runs once against the real Better Auth server too (proves the harness). The cross-server tests
use raw HTTP: JWKS keys made by one server are used by the other (which proves the encrypted ``jwks.privateKey``
format), bearer tokens, bans and impersonation cross over.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from .conftest import (
    ORIGIN,
    PLUGIN_STEPS,
    Server,
    assert_flow,
    db_query,
    python_database_url,
    run_plugin_flow,
    set_user_role,
    verify_jwt,
)

pytestmark = pytest.mark.interop

PLUGINS = "bearer,jwt,admin"
PASSWORD = "correct horse battery staple"
SESSION_COOKIE = "better-auth.session_token"


def require_python_plugins() -> None:
    import fastapi_betterauth

    missing = [name for name in PLUGINS.split(",") if not callable(getattr(fastapi_betterauth, name, None))]
    if missing:
        pytest.fail(f"fastapi_betterauth does not export the plugin factories {missing}")


# ------------------------------------------------------------------------------------------- raw HTTP helpers
def call(
    server: Server, method: str, path: str, body: Any = None, *, cookie: str | None = None, bearer: str | None = None
) -> httpx.Response:
    headers = {"Origin": ORIGIN, "User-Agent": "interop-plugins/1.0"}
    if cookie:
        headers["Cookie"] = cookie
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    return httpx.request(
        method, f"{server.url}/api/auth{path}", json=body if method != "GET" else None, headers=headers, timeout=30
    )


def cookies_of(response: httpx.Response) -> dict[str, str]:
    """name -> value of the cookies the response sets (expired ones map to "")."""
    out = {}
    for raw in response.headers.get_list("set-cookie"):
        pair = raw.split(";", 1)[0]
        name, _, value = pair.partition("=")
        out[name] = value
    return out


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items() if v)


def sign_up(server: Server, email: str, name: str = "User") -> httpx.Response:
    response = call(server, "POST", "/sign-up/email", {"email": email, "password": PASSWORD, "name": name})
    assert response.status_code == 200, f"{server.name}: {response.status_code} {response.text}"
    return response


def sign_in(server: Server, email: str) -> httpx.Response:
    response = call(server, "POST", "/sign-in/email", {"email": email, "password": PASSWORD})
    assert response.status_code == 200, f"{server.name}: {response.status_code} {response.text}"
    return response


def new_email(tag: str) -> str:
    return f"{tag}.{secrets.token_hex(4)}@example.com"


# ------------------------------------------------------------------------------------------- official client
def test_harness_plugin_flow_against_real_better_auth(
    node: str, node_modules: Path, start_ts_server: Callable[..., Server], database: str
) -> None:
    server = start_ts_server(database, plugins=PLUGINS, migrate=True)
    email = new_email("admin")
    sign_up(server, email, "Admin")
    set_user_role(database, email, "admin")
    assert_flow(run_plugin_flow(node, server.url, email, PASSWORD), server, PLUGIN_STEPS)


def test_plugin_flow_against_python_server(
    database: str, node: str, node_modules: Path, start_py_server: Callable[..., Server]
) -> None:
    require_python_plugins()
    server = start_py_server(python_database_url(database), plugins=PLUGINS)
    email = new_email("admin")
    sign_up(server, email, "Admin")
    set_user_role(database, email, "admin")
    assert_flow(run_plugin_flow(node, server.url, email, PASSWORD), server, PLUGIN_STEPS)


# ------------------------------------------------------------------------------------------- shared database
@pytest.fixture
def shared(
    database: str, start_py_server: Callable[..., Server], start_ts_server: Callable[..., Server]
) -> tuple[Server, Server, str]:
    """(python, ts, database) with bearer, jwt and admin on both; Python creates the schema (SQLite or PostgreSQL)."""
    require_python_plugins()
    py = start_py_server(python_database_url(database), plugins=PLUGINS)
    ts = start_ts_server(database, plugins=PLUGINS)
    return py, ts, database


@pytest.mark.parametrize("first", ["ts", "python"])
def test_jwks_key_made_by_one_server_is_used_by_the_other(
    shared: tuple[Server, Server, str], first: str, node: str
) -> None:
    py, ts, dsn = shared
    maker, user = (ts, py) if first == "ts" else (py, ts)
    jwks = call(maker, "GET", "/jwks")
    assert jwks.status_code == 200, jwks.text
    assert len(db_query(dsn, 'select * from "jwks"')) == 1
    other_jwks = call(user, "GET", "/jwks")
    assert other_jwks.json() == jwks.json(), "the servers publish different JWKS for the same table"
    assert len(db_query(dsn, 'select * from "jwks"')) == 1, f"{user.name} made a second key instead of using the first"
    email = new_email("jwt")
    sign_up(py, email)
    for server in (py, ts):
        cookie = cookie_header(cookies_of(sign_in(server, email)))
        token = call(server, "GET", "/token", cookie=cookie)
        assert token.status_code == 200, f"{server.name} /token: {token.status_code} {token.text}"
        result = verify_jwt(node, jwks.json(), token.json()["token"], server.url)
        assert result["ok"], f"{server.name}'s JWT does not verify with {maker.name}'s key: {result}"
        assert result["header"] == {"alg": "EdDSA", "kid": jwks.json()["keys"][0]["kid"]}
        session = call(server, "GET", "/get-session", cookie=cookie)
        header_jwt = session.headers.get("set-auth-jwt")
        assert header_jwt, f"{server.name} get-session has no set-auth-jwt"
        assert verify_jwt(node, jwks.json(), header_jwt, server.url)["ok"]
    row = db_query(dsn, 'select * from "jwks"')[0]
    assert row["alg"] == "EdDSA" and row["crv"] == "Ed25519", row
    assert row["privateKey"].startswith('"') and row["privateKey"].endswith('"'), row["privateKey"][:40]


@pytest.mark.parametrize("direction", ["python->ts", "ts->python"])
def test_bearer_token_from_one_server_works_on_the_other(shared: tuple[Server, Server, str], direction: str) -> None:
    py, ts, _ = shared
    issuer, other = (py, ts) if direction == "python->ts" else (ts, py)
    response = sign_up(issuer, new_email("bearer"))
    token = response.headers.get("set-auth-token")
    assert token and token.startswith(response.json()["token"] + "."), response.headers
    assert "set-auth-token" in response.headers.get("access-control-expose-headers", "")
    for credential in (token, token.split(".")[0]):
        session = call(other, "GET", "/get-session", bearer=credential)
        assert session.status_code == 200 and session.json() is not None, (credential, session.text)
        assert session.json()["session"]["token"] == response.json()["token"]
    # bearer-only requests skip the Origin check on both
    update = httpx.post(
        f"{other.url}/api/auth/update-user",
        json={"name": "Bearer"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert update.status_code == 200, update.text
    assert update.headers.get("set-auth-token") == token


def test_ban_and_unban_across_servers(shared: tuple[Server, Server, str]) -> None:
    py, ts, dsn = shared
    admin_email, user_email = new_email("admin"), new_email("victim")
    sign_up(py, admin_email, "Admin")
    set_user_role(dsn, admin_email, "admin")
    victim = sign_up(ts, user_email).json()["user"]
    admins = {s.name: cookie_header(cookies_of(sign_in(s, admin_email))) for s in (py, ts)}
    banned = call(py, "POST", "/admin/ban-user", {"userId": victim["id"], "banReason": "spam"}, cookie=admins["py"])
    assert banned.status_code == 200, banned.text
    refused = call(ts, "POST", "/sign-in/email", {"email": user_email, "password": PASSWORD})
    assert refused.status_code == 403 and refused.json()["code"] == "BANNED_USER", refused.text
    from_ts = call(ts, "GET", f"/admin/get-user?id={victim['id']}", cookie=admins["ts"])
    from_py = call(py, "GET", f"/admin/get-user?id={victim['id']}", cookie=admins["py"])
    assert from_ts.json() == from_py.json(), "the servers read the banned user differently"
    unbanned = call(ts, "POST", "/admin/unban-user", {"userId": victim["id"]}, cookie=admins["ts"])
    assert unbanned.status_code == 200, unbanned.text
    sign_in(py, user_email)


@pytest.mark.parametrize("direction", ["ts->python", "python->ts"])
def test_ban_and_role_change_on_one_server_apply_on_the_other_at_once(
    shared: tuple[Server, Server, str], direction: str
) -> None:
    """Issue 5: what one server's admin decides, the other enforces on the very next request."""
    py, ts, dsn = shared
    acting, enforcing = (ts, py) if direction == "ts->python" else (py, ts)
    admin_email, user_email = new_email("boss"), new_email("member")
    sign_up(acting, admin_email, "Boss")
    set_user_role(dsn, admin_email, "admin")
    admin_cookie = cookie_header(cookies_of(sign_in(acting, admin_email)))
    member = sign_up(enforcing, user_email).json()["user"]
    member_cookie = cookie_header(cookies_of(sign_in(enforcing, user_email)))
    # Not an admin yet: the enforcing server refuses the member's admin call.
    assert call(enforcing, "GET", "/admin/list-users", cookie=member_cookie).status_code == 403
    promoted = call(acting, "POST", "/admin/set-role", {"userId": member["id"], "role": "admin"}, cookie=admin_cookie)
    assert promoted.status_code == 200, promoted.text
    assert call(enforcing, "GET", "/admin/list-users", cookie=member_cookie).status_code == 200
    demoted = call(acting, "POST", "/admin/set-role", {"userId": member["id"], "role": "user"}, cookie=admin_cookie)
    assert demoted.status_code == 200, demoted.text
    assert call(enforcing, "GET", "/admin/list-users", cookie=member_cookie).status_code == 403
    banned = call(acting, "POST", "/admin/ban-user", {"userId": member["id"]}, cookie=admin_cookie)
    assert banned.status_code == 200, banned.text
    assert call(enforcing, "GET", "/get-session", cookie=member_cookie).json() is None
    refused = call(enforcing, "POST", "/sign-in/email", {"email": user_email, "password": PASSWORD})
    assert refused.status_code == 403 and refused.json()["code"] == "BANNED_USER", refused.text


@pytest.mark.parametrize("direction", ["ts->python", "python->ts"])
def test_impersonation_started_on_one_server_stopped_on_the_other(
    shared: tuple[Server, Server, str], direction: str
) -> None:
    py, ts, dsn = shared
    starter, stopper = (ts, py) if direction == "ts->python" else (py, ts)
    admin_email, user_email = new_email("admin"), new_email("target")
    sign_up(starter, admin_email, "Admin")
    set_user_role(dsn, admin_email, "admin")
    target = sign_up(stopper, user_email).json()["user"]
    jar = cookies_of(sign_in(starter, admin_email))
    admin_token = unquote(jar[SESSION_COOKIE]).split(".")[0]
    started = call(starter, "POST", "/admin/impersonate-user", {"userId": target["id"]}, cookie=cookie_header(jar))
    assert started.status_code == 200, started.text
    jar.update(cookies_of(started))
    assert unquote(jar["better-auth.admin_session"]).startswith(f"{admin_token}:.")
    seen = call(stopper, "GET", "/get-session", cookie=cookie_header(jar))
    assert seen.json()["user"]["id"] == target["id"]
    assert seen.json()["session"]["impersonatedBy"] != target["id"]
    stopped = call(stopper, "POST", "/admin/stop-impersonating", {}, cookie=cookie_header(jar))
    assert stopped.status_code == 200, (
        f"{stopper.name} cannot stop an impersonation {starter.name} started: {stopped.text}"
    )
    assert stopped.json()["session"]["token"] == admin_token
    jar.update(cookies_of(stopped))
    back = call(starter, "GET", "/get-session", cookie=cookie_header(jar))
    assert back.json()["user"]["email"] == admin_email
    assert "better-auth.admin_session" not in {k for k, v in jar.items() if v}
