"""Social sign-in across the Python server and the real Better Auth 1.7.24 server on one PostgreSQL database.

Both servers share the database and the secret and are configured with the same generic OpenID Connect provider
``local`` on the loopback mock identity provider (``mock_idp``; Python ``generic_oauth([oidc(...)])``, Better Auth
``genericOAuth({config: [...]})``). Each server has its own base URL unless a test says otherwise, so each sends its
own ``redirect_uri`` (``<base>/api/auth/callback/local``); the mock does not check registration, but it does refuse a
code exchange whose ``redirect_uri`` differs from the authorization request's.

The browser is played by hand (:class:`Browser`): one cookie jar for 127.0.0.1, sent to every port as a real
browser does (cookies are not port-scoped), ``Origin: http://localhost:3000`` on fetches, none on the navigation
back to the callback; the hop to the IdP carries no cookies and does not follow the redirect.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from .conftest import ORIGIN, OidcProvider, Server, db_query, python_database_url

pytestmark = [pytest.mark.interop, pytest.mark.postgres]

PASSWORD = "correct horse battery staple"
DASH, WELCOME, OOPS, LINKED = f"{ORIGIN}/dash", f"{ORIGIN}/welcome", f"{ORIGIN}/oops", f"{ORIGIN}/linked"
FLOW = {"provider": "local", "callbackURL": DASH, "newUserCallbackURL": WELCOME, "errorCallbackURL": OOPS}
SCOPE = "openid,email,profile"
STATE_COOKIE = "better-auth.state"
OAUTH_STATE_COOKIE = "better-auth.oauth_state"
SESSION_COOKIE = "better-auth.session_token"
STATE_DELETED = f"{STATE_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"
ID32 = re.compile(r"[A-Za-z0-9]{32}")
FORMATS = {
    "id32": ID32,
    "jwt": re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"),
    "uuid": re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    "hex": re.compile(r"(?:[0-9a-f]{2})+"),
    "scope-csv": re.compile(r"[a-z]+(?:,[a-z]+)+"),
}


# ------------------------------------------------------------------------------------------- the browser
class Browser:
    """One browser: a cookie jar for the host 127.0.0.1 (all ports); every call answers the raw response."""

    def __init__(self) -> None:
        self.jar: dict[str, str] = {}

    def _absorb(self, response: httpx.Response) -> httpx.Response:
        for raw in response.headers.get_list("set-cookie"):
            name, _, rest = raw.partition("=")
            value = rest.split(";", 1)[0]
            if value == "" or "Max-Age=0" in raw:
                self.jar.pop(name, None)
            else:
                self.jar[name] = value
        return response

    def headers(self, *, origin: bool = True) -> dict[str, str]:
        headers = {"Origin": ORIGIN} if origin else {}
        if self.jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        return headers

    def post(self, server: Server, path: str, body: Any = None) -> httpx.Response:
        response = httpx.post(f"{server.url}/api/auth{path}", json=body or {}, headers=self.headers(), timeout=30)
        return self._absorb(response)

    def get(self, server: Server, path: str, params: dict[str, str] | None = None) -> httpx.Response:
        response = httpx.get(f"{server.url}/api/auth{path}", params=params, headers=self.headers(), timeout=30)
        return self._absorb(response)

    def start(self, server: Server, body: dict[str, Any] = FLOW, path: str = "/sign-in/social") -> str:
        """POST the start of a flow; the authorization URL (asserting a 200 and a state cookie)."""
        response = self.post(server, path, {**body, "disableRedirect": True})
        assert response.status_code == 200, f"{server.name} {path}: {response.status_code} {response.text}"
        assert STATE_COOKIE in self.jar or OAUTH_STATE_COOKIE in self.jar, response.headers.get_list("set-cookie")
        return str(response.json()["url"])

    def back(self, server: Server, location: str) -> httpx.Response:
        """Navigate to the IdP's redirect target, sent to ``server`` whatever host the redirect named."""
        parts = urlsplit(location)
        url = f"{server.url}{parts.path}?{parts.query}"
        return self._absorb(httpx.get(url, headers=self.headers(origin=False), timeout=30))

    def sign_in(self, start_on: Server, finish_on: Server | None = None, body: dict[str, Any] = FLOW) -> httpx.Response:
        """The whole round trip; the callback's answer."""
        return self.back(finish_on or start_on, at_idp(self.start(start_on, body)))

    def session(self, server: Server) -> Any:
        response = self.get(server, "/get-session")
        assert response.status_code == 200, response.text
        return response.json()


def at_idp(url: str) -> str:
    """The IdP's redirect for an authorization URL (no login UI: it answers 302 at once)."""
    response = httpx.get(url, timeout=10)
    assert response.status_code == 302, (response.status_code, response.text)
    return response.headers["location"]


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def outcome(response: httpx.Response) -> tuple[int, str | None, list[str]]:
    """A callback's answer, comparable across servers: status, Location, Set-Cookie with the session token masked."""
    cookies = [
        re.sub(rf"^{SESSION_COOKIE}=[^;]+", f"{SESSION_COOKIE}=<session>", raw)
        for raw in response.headers.get_list("set-cookie")
    ]
    return response.status_code, response.headers.get("location"), cookies


def signed_in(location: str) -> tuple[int, str, list[str]]:
    """The outcome of a successful callback that redirects to ``location``."""
    return 302, location, [STATE_DELETED, f"{SESSION_COOKIE}=<session>; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"]


def new_profile(tag: str) -> dict[str, Any]:
    suffix = secrets.token_hex(4)
    return {
        "sub": f"{tag}-{suffix}",
        "email": f"{tag}.{suffix}@example.com",
        "email_verified": True,
        "name": f"{tag.title()} Person",
        "picture": f"https://img.example/{tag}.png",
    }


def jwt_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # type: ignore[no-any-return]


def fmt(value: Any) -> str:
    """The format of a stored value, as a name (the value itself differs between rows)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, datetime):
        return "timestamptz" if value.tzinfo is not None else "timestamp"
    if isinstance(value, str):
        return next((name for name, rx in FORMATS.items() if rx.fullmatch(value)), "text")
    return type(value).__name__


def formats(row: dict[str, Any]) -> dict[str, str]:
    return {column: fmt(value) for column, value in row.items()}


# ------------------------------------------------------------------------------------------- database
def accounts_of(dsn: str, user_id: str) -> list[dict[str, Any]]:
    return db_query(dsn, 'select * from account where "userId" = $1 order by "createdAt"', user_id)


def account_by_sub(dsn: str, sub: str) -> dict[str, Any]:
    [row] = db_query(dsn, 'select * from account where "providerId" = $1 and "accountId" = $2', "local", sub)
    return row


def user_by_email(dsn: str, email: str) -> dict[str, Any]:
    [row] = db_query(dsn, 'select * from "user" where email = $1', email)
    return row


def count(dsn: str, table: str) -> int:
    return int(db_query(dsn, f'select count(*) as n from "{table}"')[0]["n"])


def state_rows(dsn: str) -> list[dict[str, Any]]:
    return db_query(dsn, "select * from verification where identifier like 'auth-state:%'")


# ------------------------------------------------------------------------------------------- fixtures
Pair = dict[str, Server]


@pytest.fixture
def make_pair(
    pg_dsn: str,
    oidc_provider: OidcProvider,
    start_py_server: Callable[..., Server],
    start_ts_server: Callable[..., Server],
) -> Callable[..., Pair]:
    """``make_pair(py_settings=None, ts_options=None)``: Python (which creates the schema) and Better Auth on
    ``pg_dsn``, both with the ``local`` provider, each on its own base URL."""

    def make(py_settings: Any = None, ts_options: Any = None) -> Pair:
        py = start_py_server(python_database_url(pg_dsn), oidc=oidc_provider, settings=py_settings)
        ts = start_ts_server(pg_dsn, oidc=oidc_provider, options=ts_options)
        return {"py": py, "ts": ts}

    return make


DIRECTIONS = [("ts", "py"), ("py", "ts")]


# ------------------------------------------------------------------------------------------- (a) one user, two servers
@pytest.mark.parametrize(("first", "second"), DIRECTIONS, ids=["signed-up-on-ts", "signed-up-on-python"])
def test_social_sign_up_on_one_server_then_sign_in_on_the_other(
    make_pair: Callable[..., Pair], pg_dsn: str, mock_idp: Any, first: str, second: str
) -> None:
    servers = make_pair()
    profile = new_profile("cross")
    mock_idp.set_profile(**{**profile, "email": profile["email"].upper()})

    browser = Browser()
    assert outcome(browser.sign_in(servers[first])) == signed_in(WELCOME)
    user = user_by_email(pg_dsn, profile["email"])
    [before] = accounts_of(pg_dsn, user["id"])
    totals = (count(pg_dsn, "user"), count(pg_dsn, "account"))

    other = Browser()
    url = other.start(servers[second])
    assert outcome(other.back(servers[second], at_idp(url))) == signed_in(DASH), "a returning user is not a new user"
    assert (count(pg_dsn, "user"), count(pg_dsn, "account")) == totals, "the second server created rows"
    [after] = accounts_of(pg_dsn, user["id"])
    assert after["id"] == before["id"] and after["accountId"] == profile["sub"]
    # The second server stored the tokens of its own flow (updateAccountOnSignIn: the id token carries that flow's
    # nonce; the access token may be byte-identical within the same second), never the scope.
    assert jwt_claims(after["idToken"])["nonce"] == query(url)["nonce"] != jwt_claims(before["idToken"])["nonce"]
    assert after["accessTokenExpiresAt"] > before["accessTokenExpiresAt"]
    assert after["scope"] == before["scope"] == SCOPE
    assert after["updatedAt"] > before["updatedAt"] and after["createdAt"] == before["createdAt"]
    # Each browser's session is the same user on both servers.
    for server in servers.values():
        assert browser.session(server)["user"]["id"] == user["id"]
        assert other.session(server)["user"]["id"] == user["id"]
    assert browser.session(servers[first]) == browser.session(servers[second])


# ------------------------------------------------------------------------------------------- (b) rows alike
def test_rows_written_by_both_servers_have_the_same_formats(
    make_pair: Callable[..., Pair], pg_dsn: str, mock_idp: Any
) -> None:
    """The user, account and session rows of a social sign-up, and the state row of a started flow."""
    servers = make_pair()
    rows: dict[str, dict[str, Any]] = {}
    for name, server in servers.items():
        profile = new_profile(f"rows-{name}")
        mock_idp.set_profile(**{**profile, "email": profile["email"].title()})
        browser = Browser()
        url = browser.start(server)
        [flow_state] = state_rows(pg_dsn)
        assert outcome(browser.back(server, at_idp(url))) == signed_in(WELCOME)
        user = user_by_email(pg_dsn, profile["email"])
        [account] = accounts_of(pg_dsn, user["id"])
        [session] = db_query(pg_dsn, 'select * from session where "userId" = $1', user["id"])
        rows[name] = {"user": user, "account": account, "session": session, "state": flow_state}

        assert (user["email"], user["name"], user["image"]) == (profile["email"], profile["name"], profile["picture"])
        assert user["emailVerified"] is True
        assert (account["providerId"], account["accountId"], account["scope"]) == ("local", profile["sub"], SCOPE)
        assert account["password"] is None and account["refreshTokenExpiresAt"] is None
        assert jwt_claims(account["accessToken"])["sub"] == profile["sub"]
        id_token = jwt_claims(account["idToken"])
        assert (id_token["sub"], id_token["aud"], id_token["iss"]) == (profile["sub"], "local-client", mock_idp.url)
        lifetime = account["accessTokenExpiresAt"] - account["createdAt"]
        assert timedelta(seconds=3590) < lifetime <= timedelta(seconds=3600), lifetime
        assert state_rows(pg_dsn) == [], f"{name} left the flow's state row behind"

        value = json.loads(flow_state["value"])
        assert flow_state["identifier"] == f"auth-state:{value['oauthState']}"
        assert list(value) == [
            "callbackURL",
            "codeVerifier",
            "errorURL",
            "newUserURL",
            "expiresAt",
            "idTokenNonce",
            "oauthState",
        ], f"{name} stores the flow as {list(value)}"
        assert (value["callbackURL"], value["errorURL"], value["newUserURL"]) == (DASH, OOPS, WELCOME)
        assert re.fullmatch(r"[A-Za-z0-9_-]{128}", value["codeVerifier"]) and isinstance(value["expiresAt"], int)
        ttl = flow_state["expiresAt"] - flow_state["createdAt"]  # Better Auth takes the two clocks 1 ms apart
        assert abs(ttl - timedelta(minutes=10)) < timedelta(seconds=1), ttl
        assert abs(value["expiresAt"] / 1000 - flow_state["expiresAt"].timestamp()) < 1
        assert query(url)["nonce"] == value["idTokenNonce"] == id_token["nonce"]

    for table in ("user", "account", "session", "state"):
        assert formats(rows["py"][table]) == formats(rows["ts"][table]), f"{table} rows differ in format"
    assert rows["py"]["session"]["ipAddress"] == rows["ts"]["session"]["ipAddress"]
    assert (
        rows["py"]["session"]["userAgent"] == rows["ts"]["session"]["userAgent"] == f"python-httpx/{httpx.__version__}"
    )


# ------------------------------------------------------------------------------------------- (c) encrypted tokens
@pytest.mark.parametrize(("writer", "reader"), DIRECTIONS, ids=["written-by-ts", "written-by-python"])
def test_encrypted_tokens_are_read_by_the_other_server(
    make_pair: Callable[..., Pair], pg_dsn: str, mock_idp: Any, writer: str, reader: str
) -> None:
    servers = make_pair({"account": {"encrypt_oauth_tokens": True}}, {"account": {"encryptOAuthTokens": True}})
    profile = new_profile(f"sealed-{writer}")
    mock_idp.set_profile(**profile)
    browser = Browser()
    assert outcome(browser.sign_in(servers[writer])) == signed_in(WELCOME)
    row = account_by_sub(pg_dsn, profile["sub"])
    assert fmt(row["accessToken"]) == fmt(row["refreshToken"]) == "hex", "tokens are not sealed at rest"
    assert fmt(row["idToken"]) == "jwt", "the id token is kept in clear (as Better Auth keeps it)"

    answers = {}
    for name in (writer, reader):
        response = browser.post(servers[name], "/get-access-token", {"accountId": row["id"]})
        assert response.status_code == 200, f"{name}: {response.text}"
        answers[name] = response.json()
    assert answers[reader] == answers[writer], f"{reader} opens {writer}'s sealed token differently"
    token = answers[reader]["accessToken"]
    assert (jwt_claims(token)["iss"], jwt_claims(token)["sub"]) == (mock_idp.url, profile["sub"])
    assert answers[reader]["scopes"] == SCOPE.split(",")
    userinfo = httpx.get(mock_idp.userinfo_endpoint, headers={"authorization": f"Bearer {token}"}, timeout=10)
    assert userinfo.status_code == 200 and userinfo.json()["sub"] == profile["sub"], "not the IdP's access token"

    # The reader refreshes with the writer's sealed refresh token (the strict mock refuses a refresh token it did
    # not issue) and seals the new tokens; the writer then opens what the reader sealed.
    mock_idp.clear_requests()
    refreshed = browser.post(servers[reader], "/refresh-token", {"accountId": row["id"]})
    assert refreshed.status_code == 200, refreshed.text
    [grant] = mock_idp.requests("token")
    assert grant["body"]["grant_type"] == "refresh_token"
    assert refreshed.json()["accessToken"] != token
    resealed = account_by_sub(pg_dsn, profile["sub"])
    assert fmt(resealed["accessToken"]) == "hex" and resealed["accessToken"] != row["accessToken"]
    again = browser.post(servers[writer], "/get-access-token", {"accountId": row["id"]})
    assert again.status_code == 200 and again.json()["accessToken"] == refreshed.json()["accessToken"]


def test_flow_state_with_extras_is_stored_and_answered_alike(
    make_pair: Callable[..., Pair], pg_dsn: str, mock_idp: Any
) -> None:
    """additionalData (which cannot override the flow's own keys), requestSignUp, relative URLs with a query and a
    fragment (the error parameters go before the fragment), and the defaults without callbackURL."""
    servers = make_pair()
    answers = {}
    for name, server in servers.items():
        got: list[Any] = []
        for body, deny in (
            ({"provider": "local"}, False),
            (
                {
                    "provider": "local",
                    "callbackURL": "/rel?x=1#frag",
                    "errorCallbackURL": "/err?y=2#f",
                    "additionalData": {"foo": "bar", "callbackURL": "https://evil.example", "link": "x"},
                    "requestSignUp": True,
                },
                True,
            ),
        ):
            mock_idp.set_profile(**new_profile("extras"))
            browser = Browser()
            response = browser.post(server, "/sign-in/social", body)
            url = response.json()["url"]
            assert response.headers["location"] == url and response.json()["redirect"] is True
            [row] = state_rows(pg_dsn)
            value = json.loads(row["value"])
            got.append(
                {k: v for k, v in value.items() if k not in ("codeVerifier", "expiresAt", "idTokenNonce", "oauthState")}
            )
            got.append(list(value))
            if deny:
                mock_idp.fail("authorize", "deny")
            got.append(outcome(browser.back(server, at_idp(url))))
        answers[name] = json.loads(json.dumps(got).replace(server.url, "<server>"))
    assert answers["py"] == answers["ts"]
    assert answers["ts"][0] == {"callbackURL": "<server>"}
    assert answers["ts"][2] == list(signed_in("<server>"))
    assert answers["ts"][3] == {
        "foo": "bar",
        "callbackURL": "/rel?x=1#frag",
        "errorURL": "/err?y=2#f",
        "requestSignUp": True,
    }
    assert answers["ts"][5] == [
        302,
        "/err?y=2&error=access_denied&error_description=injected+deny+failure+at+authorize#f",
        [STATE_DELETED],
    ]


# ------------------------------------------------------------------------------------------- account endpoints
@pytest.mark.parametrize("picture", [True, False], ids=["with-picture", "without-picture"])
def test_account_endpoints_answer_alike(
    make_pair: Callable[..., Pair], pg_dsn: str, mock_idp: Any, picture: bool
) -> None:
    """/list-accounts, /get-access-token, /refresh-token and /account-info for one user on both servers."""
    servers = make_pair()
    py, ts = servers["py"], servers["ts"]
    profile = new_profile("endpoints")
    if not picture:
        del profile["picture"]
    mock_idp.set_profile(**profile)
    browser = Browser()
    signed_up = browser.post(ts, "/sign-up/email", {"email": profile["email"], "password": PASSWORD, "name": "E"})
    assert signed_up.status_code == 200, signed_up.text
    db_query(pg_dsn, 'update "user" set "emailVerified" = true where email = $1', profile["email"])
    assert outcome(browser.sign_in(py)) == signed_in(DASH), "implicit linking to a verified local user"
    accounts = {a["providerId"]: a for a in accounts_of(pg_dsn, user_by_email(pg_dsn, profile["email"])["id"])}
    local, credential = accounts["local"]["id"], accounts["credential"]["id"]

    def both(method: str, path: str, body: Any = None, params: Any = None) -> dict[str, tuple[int, Any]]:
        answers = {}
        for name, server in servers.items():
            if method == "GET":
                response = browser.get(server, path, params)
            else:
                response = browser.post(server, path, body)
            answers[name] = (response.status_code, response.json() if response.content else None)
        return answers

    for method, path, body in [
        ("GET", "/list-accounts", None),
        ("POST", "/get-access-token", {"accountId": local}),
        ("POST", "/get-access-token", {"accountId": "no-such-account"}),
        ("POST", "/get-access-token", {"providerId": "local"}),
        ("POST", "/get-access-token", {"accountId": credential}),
        ("POST", "/refresh-token", {"accountId": credential}),
        ("GET", "/account-info", {"accountId": credential}),
    ]:
        answers = both(method, path, body=body if method == "POST" else None, params=body if method == "GET" else None)
        assert answers["py"] == answers["ts"], f"{method} {path} {body}"
    assert both("POST", "/get-access-token", {"accountId": credential})["py"] == (
        400,
        {"message": "Provider credential is not supported.", "code": "PROVIDER_NOT_SUPPORTED"},
    )

    # /refresh-token: new tokens each time, so the answers are compared by their keys and value formats.
    refreshed = both("POST", "/refresh-token", {"accountId": local})
    assert refreshed["py"][0] == refreshed["ts"][0] == 200
    py_answer, ts_answer = refreshed["py"][1], refreshed["ts"][1]
    assert sorted(py_answer) == sorted(ts_answer)
    assert {k: fmt(v) for k, v in py_answer.items()} == {k: fmt(v) for k, v in ts_answer.items()}
    assert py_answer["accessTokenExpiresAt"].endswith("Z") and len(py_answer["accessTokenExpiresAt"]) == 24
    assert (py_answer["scope"], py_answer["providerId"], py_answer["accountId"]) == (SCOPE, "local", local)

    info = both("GET", "/account-info", params={"accountId": local})
    assert info["py"][0] == info["ts"][0] == 200
    py_info, ts_info = info["py"][1], info["ts"][1]
    assert py_info["account"] == ts_info["account"] == {"id": local, "providerId": "local", "accountId": profile["sub"]}
    # Better Auth's genericOAuth maps the (verified) id-token claims: user {email, emailVerified, image, name}, with
    # image left out when the IdP has no picture; data {id: sub, emailVerified, image: picture, ...claims}.
    expected_user = {"email": profile["email"], "emailVerified": True, "name": profile["name"]}
    expected_extra = {"id": profile["sub"], "emailVerified": True}
    if picture:
        expected_user["image"] = expected_extra["image"] = profile["picture"]
    assert ts_info["user"] == expected_user
    assert ts_info["data"] == {**expected_extra, **jwt_claims(account_by_sub(pg_dsn, profile["sub"])["idToken"])}
    assert py_info["user"] == ts_info["user"]
    assert py_info["data"] == ts_info["data"]


def test_get_access_token_refreshes_an_expiring_token_alike(
    make_pair: Callable[..., Pair], pg_dsn: str, mock_idp: Any
) -> None:
    """An access token within 5 s of expiry is refreshed at the IdP and stored before /get-access-token answers."""
    servers = make_pair()
    profile = new_profile("expiring")
    mock_idp.set_profile(**profile)
    browser = Browser()
    assert outcome(browser.sign_in(servers["ts"])) == signed_in(WELCOME)
    answers = {}
    for name, server in servers.items():
        db_query(
            pg_dsn,
            'update account set "accessTokenExpiresAt" = now() + interval \'2 seconds\' where "accountId" = $1',
            profile["sub"],
        )
        before = account_by_sub(pg_dsn, profile["sub"])
        mock_idp.clear_requests()
        response = browser.post(server, "/get-access-token", {"accountId": before["id"]})
        assert response.status_code == 200, f"{name}: {response.text}"
        answer = response.json()
        [grant] = mock_idp.requests("token")
        assert grant["body"]["grant_type"] == "refresh_token", name
        assert grant["body"]["refresh_token"] == before["refreshToken"], name
        after = account_by_sub(pg_dsn, profile["sub"])
        # (the mock's tokens are deterministic within a second: the new token may equal the old one byte for byte)
        assert after["accessToken"] == answer["accessToken"], name
        assert after["accessTokenExpiresAt"] - before["accessTokenExpiresAt"] > timedelta(minutes=59), name
        assert after["refreshToken"] and after["scope"] == SCOPE, name
        answers[name] = {key: fmt(value) for key, value in answer.items()}
    assert answers["py"] == answers["ts"]


def test_account_info_once_the_stored_id_token_expired(
    make_pair: Callable[..., Pair], pg_dsn: str, mock_idp: Any
) -> None:
    """Better Auth's genericOAuth verifies the stored id token again in /account-info: once it has expired (past the
    30 s clock tolerance) the answer is 401 FAILED_TO_GET_USER_INFO."""
    servers = make_pair()
    profile = new_profile("stale")
    mock_idp.set_profile(**profile)
    mock_idp.override_id_token(exp_offset=-20)  # still accepted at the callback (30 s tolerance)
    browser = Browser()
    assert outcome(browser.sign_in(servers["ts"])) == signed_in(WELCOME)
    row = account_by_sub(pg_dsn, profile["sub"])
    time.sleep(max(0.0, jwt_claims(row["idToken"])["exp"] + 32 - time.time()))
    answers = {name: browser.get(server, "/account-info", {"accountId": row["id"]}) for name, server in servers.items()}
    failed = {"message": "Failed to get user info", "code": "FAILED_TO_GET_USER_INFO"}
    assert (answers["ts"].status_code, answers["ts"].json()) == (401, failed)
    assert (answers["py"].status_code, answers["py"].json()) == (401, failed)


# ------------------------------------------------------------------------------------------- errors alike
def _drop(name: str) -> Callable[[str], str]:
    return lambda location: re.sub(rf"([?&]){name}=[^&]*&?", r"\1", location).rstrip("&?")


def _set(name: str, value: str) -> Callable[[str], str]:
    return lambda location: re.sub(rf"([?&]){name}=[^&]*", rf"\g<1>{name}={value}", location)


@dataclass(frozen=True)
class Case:
    """One way a callback goes: the IdP's behaviour, a change to the IdP's redirect, where the callback redirects."""

    setup: Callable[[Any, dict[str, Any]], Any] | None = None
    tamper: Callable[[str], str] | None = None
    redirect: str = WELCOME
    verified: bool = True
    """The new user's emailVerified (cases that sign up)."""


def _id_token_override(**overrides: Any) -> Callable[[Any, dict[str, Any]], Any]:
    return lambda idp, _: idp.override_id_token(**overrides)


REFUSED_USER_INFO = f"{OOPS}?error=unable_to_get_user_info"
CALLBACK_CASES: dict[str, Case] = {
    "the IdP answers an error": Case(
        lambda idp, _: idp.fail("authorize", "error_json", error="server_error", error_description="Some thing"),
        redirect=f"{OOPS}?error=server_error&error_description=Some+thing",
    ),
    "no code": Case(tamper=_drop("code"), redirect=f"{OOPS}?error=no_code"),
    "another issuer (RFC 9207)": Case(
        tamper=_set("iss", "https%3A%2F%2Fevil.example"), redirect=f"{OOPS}?error=issuer_mismatch"
    ),
    "the code is refused": Case(
        lambda idp, _: idp.fail("token", "error_json", 400, error="invalid_grant"),
        redirect=f"{OOPS}?error=invalid_code",
    ),
    "the token endpoint is down": Case(
        lambda idp, _: idp.fail("token", "status", 503), redirect=f"{OOPS}?error=invalid_code"
    ),
    "id token signed by a foreign key": Case(_id_token_override(foreign_key=True), redirect=REFUSED_USER_INFO),
    "id token unsigned (alg none)": Case(_id_token_override(alg="none"), redirect=REFUSED_USER_INFO),
    "id token HS256 with the client secret": Case(_id_token_override(alg="HS256"), redirect=REFUSED_USER_INFO),
    "id token for another client": Case(_id_token_override(aud="another-client"), redirect=REFUSED_USER_INFO),
    "id token for this and another client": Case(_id_token_override(aud=["local-client", "another-client"])),
    "id token from another issuer": Case(_id_token_override(iss="https://evil.example"), redirect=REFUSED_USER_INFO),
    "id token expired 10 s ago (30 s clock tolerance)": Case(_id_token_override(exp_offset=-10)),
    "id token expired 60 s ago": Case(_id_token_override(exp_offset=-60), redirect=REFUSED_USER_INFO),
    "id token issued 60 s ahead (clock skew)": Case(_id_token_override(iat_offset=60)),
    "id token without iat": Case(_id_token_override(claims={"iat": None}), redirect=REFUSED_USER_INFO),
    "id token with a numeric sub": Case(_id_token_override(claims={"sub": 12345}), redirect=REFUSED_USER_INFO),
    "id token of another flow (nonce)": Case(_id_token_override(nonce="not-this-flow"), redirect=REFUSED_USER_INFO),
    "id token without nonce": Case(_id_token_override(nonce=None), redirect=REFUSED_USER_INFO),
    "id token without email: userinfo is asked": Case(_id_token_override(claims={"email": None})),
    "userinfo is another subject than the id token": Case(
        _id_token_override(claims={"email": None, "sub": "someone-else"}), redirect=REFUSED_USER_INFO
    ),
    "userinfo is down": Case(
        lambda idp, _: (idp.override_id_token(claims={"email": None}), idp.fail("userinfo", "status", 500)),
        redirect=REFUSED_USER_INFO,
    ),
    "no email at all": Case(
        lambda idp, profile: idp.set_profile(**{k: v for k, v in profile.items() if k != "email"}),
        redirect=f"{OOPS}?error=email_not_found",
    ),
    "email not verified by the IdP: a new user all the same": Case(
        lambda idp, profile: idp.set_profile(**{**profile, "email_verified": False}), verified=False
    ),
    'email_verified "false" (a string)': Case(_id_token_override(claims={"email_verified": "false"}), verified=False),
}
UNAVAILABLE = (
    "error_description=The+sign-in+provider+did+not+respond.+Try+again+later%2C+or+sign+in+with+email+and+password."
)
PYTHON_DIFFERS = {
    # Deliberate: when the IdP answers 5xx (or not at all) the error redirect also carries an error_description that
    # points the user to email and password (docs/flows/social-sign-in.md); Better Auth 1.7.24 sends the code alone.
    "the token endpoint is down": (302, f"{OOPS}?error=invalid_code&{UNAVAILABLE}", [STATE_DELETED], [], []),
    "userinfo is down": (302, f"{REFUSED_USER_INFO}&{UNAVAILABLE}", [STATE_DELETED], [], []),
}


def test_callback_answers_alike(make_pair: Callable[..., Pair], pg_dsn: str, mock_idp: Any) -> None:
    """Each way a callback can go wrong (or right) is answered alike: status, Location, cookies, new user, state."""
    servers = make_pair()
    mismatches = []
    for name, case in CALLBACK_CASES.items():
        answers = {}
        for server_name, server in servers.items():
            profile = new_profile("case")
            mock_idp.reset()
            mock_idp.set_profile(**profile)
            if case.setup is not None:
                case.setup(mock_idp, profile)
            browser = Browser()
            location = at_idp(browser.start(server))
            answer = browser.back(server, case.tamper(location) if case.tamper else location)
            created = db_query(pg_dsn, 'select "emailVerified" from "user" where email = $1', profile["email"])
            answers[server_name] = (*outcome(answer), [r["emailVerified"] for r in created], state_rows(pg_dsn))
        if case.redirect == WELCOME:
            expected = (*signed_in(WELCOME), [case.verified], [])
        else:
            expected = (302, case.redirect, [STATE_DELETED], [], [])
        if answers["ts"] != expected:
            mismatches.append(f"{name}: Better Auth answered {answers['ts']}, the harness expected {expected}")
        if answers["py"] != PYTHON_DIFFERS.get(name, answers["ts"]):
            mismatches.append(f"{name}: Python answered {answers['py']}, Better Auth {answers['ts']}")
    assert not mismatches, "\n".join(mismatches)


def test_requests_without_a_flow_answer_alike(make_pair: Callable[..., Pair], mock_idp: Any) -> None:
    """Callbacks without a usable state, a form-posted callback, a replayed callback, and refused starts."""
    servers = make_pair()
    answers: dict[str, list[Any]] = {}
    for name, server in servers.items():
        mock_idp.set_profile(**new_profile("noflow"))
        base = f"{server.url}/api/auth"
        got: list[Any] = []
        for params in ({"code": "c"}, {"code": "c", "state": "unknown-state"}, {"state": "s", "code": "c", "iss": "x"}):
            answer = httpx.get(f"{base}/callback/local", params=params, timeout=30)
            got.append(outcome(answer))
        for post in ({"data": {"code": "c", "state": "s"}}, {"json": {"state": "s", "code": "c"}}):
            answer = httpx.post(f"{base}/callback/local?iss=i", timeout=30, **post)  # type: ignore[arg-type]
            got.append(outcome(answer))
        browser = Browser()
        location = at_idp(browser.start(server))
        assert outcome(browser.back(server, location)) == signed_in(WELCOME)
        got.append(outcome(browser.back(server, location)))  # replayed: the state row is gone
        for body in (
            {"provider": "nope"},
            {"provider": "local", "callbackURL": "https://evil.example/x"},
            {"provider": "local", "errorCallbackURL": "https://evil.example/x"},
            {"provider": "local", "additionalParams": {"nonce": "mine"}},
        ):
            answer = Browser().post(server, "/sign-in/social", body)
            got.append((answer.status_code, answer.json(), answer.headers.get_list("set-cookie")))
        answer = Browser().post(server, "/link-social", {"provider": "local"})
        got.append((answer.status_code, answer.json()))
        answers[name] = [json.loads(json.dumps(a).replace(server.url, "<server>")) for a in got]
    assert answers["py"] == answers["ts"]
    assert answers["ts"][:6] == [
        [302, "<server>/api/auth/error?error=state_not_found", []],
        [302, "<server>/api/auth/error?error=state_mismatch", []],
        [302, "<server>/api/auth/error?error=state_mismatch", []],
        [302, "<server>/api/auth/callback/local?code=c&state=s&iss=i", []],
        [302, "<server>/api/auth/callback/local?code=c&state=s&iss=i", []],
        [302, "<server>/api/auth/error?error=state_mismatch", []],
    ]
    assert answers["ts"][6] == [404, {"message": "Provider not found", "code": "PROVIDER_NOT_FOUND"}, []]


def _id_token(idp: Any, nonce: str) -> dict[str, Any]:
    """Tokens for the current profile straight from the IdP (as a native app or One Tap would hold them)."""
    redirect = "http://127.0.0.1:9/native"
    params = {"response_type": "code", "client_id": "local-client", "redirect_uri": redirect, "scope": "openid"}
    location = at_idp(f"{idp.authorization_endpoint}?{urlencode({**params, 'state': 's', 'nonce': nonce})}")
    form = {"grant_type": "authorization_code", "code": query(location)["code"], "redirect_uri": redirect}
    form |= {"client_id": "local-client", "client_secret": "local-client-secret"}
    response = httpx.post(idp.token_endpoint, data=form, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_id_token_sign_in_and_link_answer_alike(make_pair: Callable[..., Pair], pg_dsn: str, mock_idp: Any) -> None:
    """``idToken`` in /sign-in/social and /link-social: the IdP's id token verified (signature, aud, nonce)."""
    servers = make_pair()
    answers: dict[str, list[Any]] = {}
    for name, server in servers.items():
        profile = new_profile("idtoken")
        mock_idp.set_profile(**profile)
        tokens = _id_token(mock_idp, "nonce-1")
        got: list[Any] = []
        for id_token in (
            {"token": tokens["id_token"], "nonce": "nonce-2"},
            {"token": "not-a-jwt"},
            {"token": tokens["id_token"], "nonce": "nonce-1", "accessToken": tokens["access_token"]},
            {"token": tokens["id_token"]},
        ):
            answer = Browser().post(server, "/sign-in/social", {"provider": "local", "idToken": id_token})
            body = answer.json()
            if answer.status_code == 200:
                body["token"] = "<token>" if ID32.fullmatch(body["token"]) else body["token"]
                body["user"] = {
                    k: v for k, v in sorted(body["user"].items()) if k not in ("id", "createdAt", "updatedAt")
                }
            got.append((answer.status_code, body, [c.split("=")[0] for c in answer.headers.get_list("set-cookie")]))
        row = account_by_sub(pg_dsn, profile["sub"])
        got.append(formats(row))
        got.append((row["accessToken"] == tokens["access_token"], row["idToken"] == tokens["id_token"], row["scope"]))

        browser = Browser()
        email = f"linker.{profile['email']}"
        signed_up = browser.post(server, "/sign-up/email", {"email": email, "password": PASSWORD, "name": "L"})
        assert signed_up.status_code == 200, signed_up.text
        for sub, claims in (
            ("new", {"email": email}),  # linked
            ("new", {"email": email}),  # linked already: tokens updated
            ("other", {"email": f"other.{email}"}),  # another e-mail
            (profile["sub"], {"email": email}),  # the account of the user signed in above
            ("unverified", {"email": email, "email_verified": False}),  # the IdP does not vouch for the e-mail
        ):
            mock_idp.set_profile(**{**profile, **claims, "sub": sub})
            linked = _id_token(mock_idp, "nonce-3")
            answer = browser.post(
                server, "/link-social", {"provider": "local", "idToken": {"token": linked["id_token"]}}
            )
            got.append((answer.status_code, answer.json()))
        linker = user_by_email(pg_dsn, email)["id"]
        got.append(sorted((a["providerId"], a["accountId"]) for a in accounts_of(pg_dsn, linker)))
        db_query(pg_dsn, 'delete from account where "accountId" in ($1, $2)', "new", "unverified")
        text = json.dumps(got).replace(linker, "<linker>").replace(profile["email"], "<email>")
        answers[name] = json.loads(text.replace(profile["sub"], "<sub>"))
    assert answers["py"] == answers["ts"]
    user = {
        "email": "<email>",
        "emailVerified": True,
        "image": "https://img.example/idtoken.png",
        "name": "Idtoken Person",
    }
    assert answers["ts"][:4] == [
        [401, {"message": "Invalid token", "code": "INVALID_TOKEN"}, []],
        [401, {"message": "Invalid token", "code": "INVALID_TOKEN"}, []],
        [200, {"redirect": False, "token": "<token>", "user": user}, [SESSION_COOKIE]],
        [200, {"redirect": False, "token": "<token>", "user": user}, [SESSION_COOKIE]],
    ]
    assert answers["ts"][-6:] == [
        [200, {"url": "", "status": True, "redirect": False}],
        [200, {"url": "", "status": True, "redirect": False}],
        [
            401,
            {
                "message": "Account not linked - different emails not allowed",
                "code": "LINKING_DIFFERENT_EMAILS_NOT_ALLOWED",
            },
        ],
        [409, {"message": "Social account already linked", "code": "SOCIAL_ACCOUNT_ALREADY_LINKED"}],
        [401, {"message": "Account not linked - linking not allowed", "code": "LINKING_NOT_ALLOWED"}],
        [["credential", "<linker>"], ["local", "new"]],
    ]


# ------------------------------------------------------------------------------------------- (d) two instances
def test_flow_started_on_one_server_and_finished_on_another(
    pg_dsn: str,
    oidc_provider: OidcProvider,
    mock_idp: Any,
    start_py_server: Callable[..., Server],
    start_ts_server: Callable[..., Server],
) -> None:
    """Each server on its own base URL: what Better Auth does across two of its own instances, Python does too.

    Observed with two Better Auth instances (ts -> ts2): the finishing instance finds the state row (shared
    database) and accepts the state cookie (shared secret), so the state checks pass and the row is consumed and the
    state cookie expired; it then exchanges the code with ITS OWN redirect_uri (``<its base>/callback/local``),
    which is not the one the authorization request carried, and the IdP refuses it (``invalid_grant``,
    "redirect_uri does not match the authorization request"): 302 to the flow's errorCallbackURL with
    ``error=invalid_code``, no session. Python finishing a Better Auth flow, and Better Auth finishing a Python
    flow, answer exactly that.
    """
    py = start_py_server(python_database_url(pg_dsn), oidc=oidc_provider)
    ts = start_ts_server(pg_dsn, oidc=oidc_provider)
    ts2 = start_ts_server(pg_dsn, oidc=oidc_provider)
    py2 = start_py_server(python_database_url(pg_dsn), oidc=oidc_provider)
    refused = (302, f"{OOPS}?error=invalid_code", [STATE_DELETED])
    for starter, finisher in [(ts, ts2), (ts, py), (py, ts), (py, py2)]:
        mock_idp.set_profile(**new_profile("elsewhere"))
        mock_idp.clear_requests()
        users = count(pg_dsn, "user")
        browser = Browser()
        url = browser.start(starter)
        assert query(url)["redirect_uri"] == f"{starter.url}/api/auth/callback/local"
        answer = browser.back(finisher, at_idp(url))
        where = f"started on {starter.name} {starter.url}, finished on {finisher.name} {finisher.url}"
        assert outcome(answer) == refused, where
        [exchange] = mock_idp.requests("token")
        assert exchange["body"]["redirect_uri"] == f"{finisher.url}/api/auth/callback/local", where
        assert exchange["body"]["code_verifier"], where  # the verifier came from the shared state row
        assert state_rows(pg_dsn) == [], f"{where}: the state row was not consumed"
        assert count(pg_dsn, "user") == users and browser.session(finisher) is None, where


@pytest.mark.parametrize("strategy", ["database", "cookie"])
def test_two_instances_behind_one_base_url_finish_each_others_flows(
    pg_dsn: str,
    oidc_provider: OidcProvider,
    mock_idp: Any,
    start_py_server: Callable[..., Server],
    start_ts_server: Callable[..., Server],
    strategy: str,
) -> None:
    """Two instances that share the public base URL (one origin, a load balancer in front) finish each other's
    sign-ins and link-social flows, Better Auth's and Python's alike.

    ``database``: the state row of one is read by the other; ``cookie``: the flow travels in the
    ``oauth_state`` cookie, encrypted by one (purpose key ``oauth-state-cookie``) and opened by the other. A link
    flow carries the linking session's token encrypted (purpose ``oauth-link-session-token``), which the finishing
    instance opens to check that the session is still alive.
    """
    ts = start_ts_server(
        pg_dsn, oidc=oidc_provider, migrate=True, options={"account": {"storeStateStrategy": strategy}}
    )
    base = ts.url
    ts2 = start_ts_server(
        pg_dsn, oidc=oidc_provider, base_url=base, options={"account": {"storeStateStrategy": strategy}}
    )
    py = start_py_server(
        python_database_url(pg_dsn),
        oidc=oidc_provider,
        create_schema=False,
        base_url=base,
        settings={"account": {"store_state_strategy": strategy}},
    )
    cookie = STATE_COOKIE if strategy == "database" else OAUTH_STATE_COOKIE
    deleted = STATE_DELETED.replace(STATE_COOKIE, cookie)
    for starter, finisher in [(ts, ts2), (ts, py), (py, ts)]:
        where = f"started on {starter.name} {starter.url}, finished on {finisher.name} {finisher.url}"
        profile = new_profile("balanced")
        mock_idp.set_profile(**profile)
        browser = Browser()
        url = browser.start(starter)
        assert cookie in browser.jar and query(url)["redirect_uri"] == f"{base}/api/auth/callback/local", where
        assert len(state_rows(pg_dsn)) == (1 if strategy == "database" else 0), where
        answer = browser.back(finisher, at_idp(url))
        expected = signed_in(WELCOME)
        assert outcome(answer) == (expected[0], expected[1], [deleted, expected[2][1]]), where
        user = user_by_email(pg_dsn, profile["email"])
        assert browser.session(starter)["user"]["id"] == user["id"], where
        assert state_rows(pg_dsn) == [], where

        # The same user links a second IdP account, started on `starter`, finished on `finisher`.
        token = browser.session(starter)["session"]["token"]
        second = {**new_profile("balanced-link"), "email": profile["email"]}
        mock_idp.set_profile(**second)
        url = browser.start(
            starter, {"provider": "local", "callbackURL": LINKED, "errorCallbackURL": OOPS}, "/link-social"
        )
        if strategy == "database":
            [flow_state] = state_rows(pg_dsn)
            assert json.loads(flow_state["value"])["link"]["userId"] == user["id"], where
        answer = browser.back(finisher, at_idp(url))
        assert outcome(answer) == (302, LINKED, [deleted]), where
        assert browser.session(finisher)["session"]["token"] == token, f"{where}: linking changed the session"
        assert [a["accountId"] for a in accounts_of(pg_dsn, user["id"])] == [profile["sub"], second["sub"]], where


# ------------------------------------------------------------------------------------------- (e) link, then sign in
@pytest.mark.parametrize(("linker", "signer"), [("py", "ts"), ("ts", "py")], ids=["linked-on-python", "linked-on-ts"])
def test_account_linked_on_one_server_signs_in_on_the_other(
    make_pair: Callable[..., Pair], pg_dsn: str, mock_idp: Any, linker: str, signer: str
) -> None:
    servers = make_pair()
    profile = new_profile(f"linked-{linker}")
    browser = Browser()
    signed_up = browser.post(
        servers[linker], "/sign-up/email", {"email": profile["email"], "password": PASSWORD, "name": "L"}
    )
    assert signed_up.status_code == 200, signed_up.text
    user_id = signed_up.json()["user"]["id"]
    mock_idp.set_profile(**{**profile, "email": profile["email"].upper()})  # the case of the e-mail does not matter
    url = browser.start(
        servers[linker], {"provider": "local", "callbackURL": LINKED, "errorCallbackURL": OOPS}, "/link-social"
    )
    assert outcome(browser.back(servers[linker], at_idp(url))) == (302, LINKED, [STATE_DELETED])
    linked = account_by_sub(pg_dsn, profile["sub"])
    assert (linked["userId"], linked["scope"]) == (user_id, SCOPE)
    assert user_by_email(pg_dsn, profile["email"])["emailVerified"] is False, "linking verified the local e-mail"
    totals = (count(pg_dsn, "user"), count(pg_dsn, "account"), count(pg_dsn, "session"))

    # The linked account signs in on the other server: the same user, a returning one (callbackURL), no new rows
    # besides the session; signing in with the account (the IdP vouches for the same e-mail) verifies the e-mail.
    other = Browser()
    url = other.start(servers[signer])
    assert outcome(other.back(servers[signer], at_idp(url))) == signed_in(DASH)
    assert other.session(servers[signer])["user"]["id"] == user_id
    assert (count(pg_dsn, "user"), count(pg_dsn, "account"), count(pg_dsn, "session")) == (
        totals[0],
        totals[1],
        totals[2] + 1,
    )
    after = account_by_sub(pg_dsn, profile["sub"])
    assert after["id"] == linked["id"] and jwt_claims(after["idToken"])["nonce"] == query(url)["nonce"]
    assert after["scope"] == SCOPE
    assert user_by_email(pg_dsn, profile["email"])["emailVerified"] is True
    listed = other.get(servers[signer], "/list-accounts").json()
    assert sorted((a["providerId"], a["scopes"]) for a in listed) == [("credential", []), ("local", SCOPE.split(","))]
