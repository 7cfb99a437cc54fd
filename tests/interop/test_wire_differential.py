"""Differential wire test: the same raw HTTP exchanges against the real Better Auth 1.7.24 server and the
Python server, compared response by response.

Each server has its own fresh database (the TS one made by Better Auth's migrations), so every case can use the
same e-mail addresses on both. Responses are normalized only where values are random or server-specific
(ids, tokens, signatures, timestamps, the server's own origin); everything else must be equal: status and reason
phrase, the relevant headers (Content-Type, Location, Cache-Control, ...), the JSON body (key order ignored) and
the Set-Cookie headers (names, attributes, kind of value).

``INTEROP_SELF_CHECK=1`` runs every case against two Better Auth servers instead (harness check).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest

from tests._services import asyncpg_url, create_postgres_database, drop_postgres_database, require_node

from .conftest import (
    INTEROP_DIR,
    ORIGIN,
    REPO_ROOT,
    SECRET,
    Server,
    _start,
    clean_env,
    db_query,
    db_time,
    free_port,
    set_user_role,
)

pytestmark = [pytest.mark.interop, pytest.mark.postgres]

SESSION_COOKIE = "better-auth.session_token"
PASSWORD = "correct horse battery staple"
UA = "interop-diff/1.0"

JS_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ANY_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
ID32 = re.compile(r"^[A-Za-z0-9]{32}$")
SIGNED = re.compile(r"^([A-Za-z0-9]{32}|true)\.[A-Za-z0-9+/]{43}=$")
JWT = re.compile(r"^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
SCRYPT = re.compile(r"^[0-9a-f]{32}:[0-9a-f]{128}$")
HEADERS = (
    "content-type",
    "location",
    "cache-control",
    "pragma",
    "access-control-expose-headers",
    "x-retry-after",
    "set-auth-token",
    "set-auth-jwt",
    "allow",
    "www-authenticate",
)


# ------------------------------------------------------------------------------------------- servers
@dataclass
class Pair:
    ts: Server
    py: Server
    plugins: str
    profile: str
    databases: dict[str, str]  # server name -> database for set_user_role (postgres DSN or sqlite URL)


# INTEROP_SELF_CHECK=1 replaces the Python server by a second Better Auth server, which checks the harness: the
# normalization must make two Better Auth servers indistinguishable.
SELF_CHECK = os.environ.get("INTEROP_SELF_CHECK") == "1"
PLUGINS = "bearer,jwt,admin"
TOKEN_PLUGINS = "bearer,jwt"


@dataclass(frozen=True)
class Profile:
    """The same configuration expressed for both servers."""

    ts_options: dict[str, Any]
    py_settings: dict[str, Any]
    node_env: str = ""  # NODE_ENV of the TS server; the Python twin is in py_settings["environment"]
    base_url: str = ""  # BETTER_AUTH_URL of both servers instead of their own http://127.0.0.1:<port>
    mail: bool = False  # both servers get a MAIL_LOG outbox, which switches the mailed flows on


PROFILES = {
    "default": Profile({}, {}),
    "cookie-cache": Profile(
        {"session": {"cookieCache": {"enabled": True}}}, {"session": {"cookie_cache": {"enabled": True}}}
    ),
    "defer-refresh": Profile({"session": {"deferSessionRefresh": True}}, {"session": {"defer_session_refresh": True}}),
    "no-auto-sign-in": Profile(
        {"emailAndPassword": {"autoSignIn": False}}, {"email_and_password": {"auto_sign_in": False}}
    ),
    "require-verification": Profile(
        {"emailAndPassword": {"requireEmailVerification": True}},
        {"email_and_password": {"require_email_verification": True}},
    ),
    "sign-up-disabled": Profile(
        {"emailAndPassword": {"disableSignUp": True}}, {"email_and_password": {"disable_sign_up": True}}
    ),
    "production": Profile({}, {"environment": "production"}, node_env="production"),
    "https-base-url": Profile({}, {}, base_url="https://auth.example.test"),
    "mail": Profile(
        {"user": {"changeEmail": {"enabled": True}, "deleteUser": {"enabled": True}}},
        {"user": {"change_email": {"enabled": True}, "delete_user": {"enabled": True}}},
        mail=True,
    ),
}
# pair name -> (Python's database backend, plugins, profile); the TS server always runs on PostgreSQL.
PAIRS = {
    "py-sqlite": ("sqlite", "", "default"),
    "py-postgres": ("postgres", "", "default"),
    "py-postgres+tokens": ("postgres", TOKEN_PLUGINS, "default"),
    "py-postgres+plugins": ("postgres", PLUGINS, "default"),
    **{f"py-sqlite+{name}": ("sqlite", "", name) for name in PROFILES if name != "default"},
}


def _applies(pair_name: str, case_name: str) -> bool:
    _, plugins, profile = PAIRS[pair_name]
    if case_name in PLUGIN_CASES and not plugins:
        return False
    if case_name in ADMIN_CASES and "admin" not in plugins:
        return False
    if plugins == PLUGINS and case_name not in ADMIN_CASES:
        return False  # the token pair already runs everything else with plugins on
    return profile in CASE_PROFILES[case_name]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Only the (pair, case) combinations that apply: plugin cases in the plugin pair, profile cases in theirs.

    Combinations are ordered by pair, and ``pairs`` keeps one pair of servers running at a time.
    """
    if metafunc.function.__name__ == "test_same_wire_as_better_auth":
        combos = [(p, c) for p in PAIRS for c in sorted(CASES) if _applies(p, c)]
        metafunc.parametrize(("pair_name", "name"), combos, ids=[f"{p}-{c}" for p, c in combos])


class PairPool:
    """Starts the pair of servers a test asks for, stopping the previous pair first."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.tmp_path_factory = tmp_path_factory
        self.current: tuple[str, Iterator[Pair], Pair] | None = None

    def get(self, pair_name: str) -> Pair:
        if self.current is not None and self.current[0] == pair_name:
            return self.current[2]
        self.close()
        servers = _start_pair(pair_name, self.tmp_path_factory)
        self.current = (pair_name, servers, next(servers))
        return self.current[2]

    def close(self) -> None:
        if self.current is not None:
            _, servers, _ = self.current
            self.current = None
            servers.close()  # runs the generator's cleanup


@pytest.fixture(scope="module")
def pairs(node_modules: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PairPool]:
    pool = PairPool(tmp_path_factory)
    try:
        yield pool
    finally:
        pool.close()


def _start_pair(pair_name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    backend, plugins, profile_name = PAIRS[pair_name]
    profile = PROFILES[profile_name]
    node = require_node()
    log_dir = tmp_path_factory.mktemp("diff")
    started: list[Server] = []
    dsns: list[str] = []
    try:
        ts_dsn = asyncio.run(create_postgres_database())
        dsns.append(ts_dsn)
        if backend == "sqlite":
            py_url = py_db = f"sqlite+aiosqlite:///{log_dir}/py.db"
        else:
            py_db = asyncio.run(create_postgres_database())
            dsns.append(py_db)
            py_url = asyncpg_url(py_db)
        port = free_port()
        env = clean_env(
            PORT=str(port),
            DATABASE_URL=ts_dsn,
            BETTER_AUTH_SECRET=SECRET,
            BETTER_AUTH_URL=profile.base_url or f"http://127.0.0.1:{port}",
            PLUGINS=plugins,
            MIGRATE="1",
            AUTH_OPTIONS_JSON=json.dumps(profile.ts_options),
            TS_NODE_ENV=profile.node_env,
        )
        if profile.mail:
            env["MAIL_LOG"] = str(log_dir / "ts-mail.jsonl")
        ts = _start(started, "ts", [node, "ts_server.mjs"], env, log_dir, port, INTEROP_DIR)
        port = free_port()
        if SELF_CHECK:  # the "python" side is a second Better Auth server: every case must then be equal
            if backend == "sqlite":
                py_db = asyncio.run(create_postgres_database())
                dsns.append(py_db)
            env.update(
                PORT=str(port), DATABASE_URL=py_db, BETTER_AUTH_URL=profile.base_url or f"http://127.0.0.1:{port}"
            )
            py = _start(started, "py", [node, "ts_server.mjs"], env, log_dir, port, INTEROP_DIR)
        else:
            env = clean_env(
                DATABASE_URL=py_url,
                BETTER_AUTH_SECRET=SECRET,
                BETTER_AUTH_URL=profile.base_url or f"http://127.0.0.1:{port}",
                PLUGINS=plugins,
                AUTH_SETTINGS_JSON=json.dumps(profile.py_settings),
            )
            if profile.mail:
                env["MAIL_LOG"] = str(log_dir / "py-mail.jsonl")
            args = ["-m", "uvicorn", "tests.interop.pyserver:app", "--host", "127.0.0.1", "--port", str(port)]
            py = _start(started, "py", [sys.executable, *args, "--log-level", "warning"], env, log_dir, port, REPO_ROOT)
        yield Pair(ts=ts, py=py, plugins=plugins, profile=profile_name, databases={"ts": ts_dsn, "py": py_db})
    finally:
        for server in reversed(started):
            server.stop()
        for dsn in dsns:
            asyncio.run(drop_postgres_database(dsn))


# ------------------------------------------------------------------------------------------- HTTP + normalization
class Http:
    """Raw requests to one server. ``origin=True`` adds ``Origin: http://localhost:3000``."""

    def __init__(self, server: Server, database: str = "") -> None:
        self.server = server
        self.database = database

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        origin: bool = True,
        cookie: str | None = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        h = {"User-Agent": UA}
        if origin:
            h["Origin"] = ORIGIN
        if cookie:
            h["Cookie"] = cookie
        if json_body is not None:
            h["Content-Type"] = "application/json"
            content = json.dumps(json_body)
        h.update(headers or {})
        # no client object: no cookie jar, so cookies are always the explicit ones
        url = f"{self.server.url}/api/auth{path}"
        return httpx.request(method, url, content=content, headers=h, params=params, timeout=30)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.request("POST", path, json_body=body, **kw)

    def sign_up(self, email: str, **extra: Any) -> str:
        """Sign up; the session cookie (``name=value``) to send back."""
        response = self.post("/sign-up/email", {"email": email, "password": PASSWORD, "name": "Diff", **extra})
        assert response.status_code == 200, f"{self.server.name}: {response.status_code} {response.text}"
        return cookie_of(response)

    def admin(self, email: str) -> str:
        """An admin account (role set in the database); its session cookie."""
        self.sign_up(email)
        set_user_role(self.database, email, "admin")
        response = self.post("/sign-in/email", {"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return cookie_of(response)

    def user_id(self, cookie: str) -> str:
        response = self.get("/get-session", cookie=cookie)
        return str(response.json()["user"]["id"])


def cookie_of(response: httpx.Response, name: str = SESSION_COOKIE) -> str:
    for raw in response.headers.get_list("set-cookie"):
        if raw.startswith(f"{name}="):
            return raw.split(";", 1)[0]
    raise AssertionError(f"no {name} cookie in {response.headers.get_list('set-cookie')}")


def sign(value: str, secret: str = SECRET) -> str:
    """Better Auth's signed-cookie value, URL-encoded (§3.3)."""
    signature = base64.b64encode(hmac.new(secret.encode(), value.encode(), hashlib.sha256).digest()).decode()
    return quote(f"{value}.{signature}", safe="")


def _norm_str(value: str, origin: str) -> str:
    if ANY_ISO.match(value):
        return "<date>" if JS_ISO.match(value) else f"<date NOT in JS toISOString format: {value}>"
    if ID32.match(value):
        return "<id32>"
    if SIGNED.match(value):
        return "<signed>"
    if JWT.match(value):
        return "<jwt>"
    if SCRYPT.match(value):
        return "<scrypt>"
    return value.replace(origin, "<origin>")


def _norm_json(value: Any, origin: str) -> Any:
    if isinstance(value, str):
        return _norm_str(value, origin)
    if isinstance(value, list):
        return [_norm_json(v, origin) for v in value]
    if isinstance(value, dict):
        if "kty" in value:  # a JWK: its key material is random
            value = {k: ("<key material>" if k in ("x", "y", "n", "e", "d") else v) for k, v in value.items()}
        return {k: _norm_json(v, origin) for k, v in sorted(value.items())}
    return value


def _norm_cache(value: Any, origin: str) -> Any:
    """Like _norm_json, plus epoch-millisecond numbers and the signature."""
    if isinstance(value, str):
        return _norm_str(value, origin)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and value > 10**12:
        return "<epoch ms>"
    if isinstance(value, list):
        return [_norm_cache(v, origin) for v in value]
    if isinstance(value, dict):
        return {k: "<signature>" if k == "signature" else _norm_cache(v, origin) for k, v in value.items()}
    return value


def _norm_session_data(value: str, origin: str) -> str:
    """The compact cookie cache: base64url(JSON), decoded, random values normalized.

    Key order is not compared: Better Auth's own order varies with the code path (row as read vs. as updated);
    what matters, that each server verifies the other's cookie, is tested in test_cross_server.py.
    """
    try:
        data = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except ValueError:
        return f"<undecodable: {value[:40]}>"
    padded = "=" in value
    return f"<session_data{' PADDED' if padded else ''} {json.dumps(_norm_cache(data, origin), sort_keys=True)}>"


def _norm_cookie(raw: str, origin: str = "") -> str:
    pair, _, attrs = raw.partition(";")
    name, _, value = pair.partition("=")
    decoded = unquote(value)
    if value == "":
        kind = ""
    elif name.endswith("session_data"):
        kind = _norm_session_data(decoded, origin)
    elif SIGNED.match(decoded):
        kind = "<signed true>" if decoded.startswith("true.") else "<signed token>"
        if value == decoded:
            kind += " NOT URL-encoded"
    else:
        kind = "<other>"
    return f"{name}={kind};{attrs}"


def normalize(response: httpx.Response, server: Server) -> dict[str, Any]:
    origin = server.url
    body: Any
    text = response.text
    ctype = response.headers.get("content-type", "")
    if text == "":
        body = ""
    elif ctype.startswith("text/html"):
        body = "<html>"
    else:
        try:
            body = _norm_json(json.loads(text), origin)
        except ValueError:
            body = f"<non-JSON> {text[:300]}"
    headers = {h: response.headers[h].replace(origin, "<origin>") for h in HEADERS if h in response.headers}
    if "x-retry-after" in headers and headers["x-retry-after"].isdigit():
        headers["x-retry-after"] = "<seconds>" if 0 < int(headers["x-retry-after"]) <= 10 else headers["x-retry-after"]
    for name in ("set-auth-token", "set-auth-jwt"):
        if name in headers:
            headers[name] = _norm_str(headers[name], origin)
    return {
        "request": re.sub(
            r"\b[A-Za-z0-9]{32}\b",
            "<id32>",
            f"{response.request.method} {response.request.url.path}"
            + (f"?{response.request.url.query.decode()}" if response.request.url.query else ""),
        ),
        "status": f"{response.status_code} {response.reason_phrase}",
        "headers": headers,
        "body": body,
        "set-cookie": sorted(_norm_cookie(c, origin) for c in response.headers.get_list("set-cookie")),
    }


# ------------------------------------------------------------------------------------------- cases
Case = Callable[[Http], list[httpx.Response]]
CASES: dict[str, Case] = {}
PLUGIN_CASES: set[str] = set()
CASE_PROFILES: dict[str, tuple[str, ...]] = {}


def case(fn: Case) -> Case:
    """A case for the default configuration (runs in every default-profile pair, with and without plugins)."""
    CASES[fn.__name__] = fn
    CASE_PROFILES.setdefault(fn.__name__, ("default",))
    return fn


def plugin_case(fn: Case) -> Case:
    """A case that needs the token plugins (bearer, jwt) on both servers (runs only in the plugin pairs)."""
    PLUGIN_CASES.add(fn.__name__)
    return case(fn)


ADMIN_CASES: set[str] = set()


def admin_case(fn: Case) -> Case:
    """A case that needs the admin plugin too (runs only in the bearer+jwt+admin pair)."""
    ADMIN_CASES.add(fn.__name__)
    return plugin_case(fn)


def profile_case(*profiles: str) -> Callable[[Case], Case]:
    """A case for the pairs configured with one of these profiles (see PROFILES)."""

    def register(fn: Case) -> Case:
        CASE_PROFILES[fn.__name__] = profiles
        return case(fn)

    return register


@case
def ok(h: Http) -> list[httpx.Response]:
    return [h.get("/ok")]


@case
def not_found(h: Http) -> list[httpx.Response]:
    return [
        h.get("/does-not-exist"),
        h.get("/sign-in/email"),
        h.get("/get-session/"),
        h.request("HEAD", "/ok"),
        h.request("OPTIONS", "/get-session"),
        h.post("/set-password", {"newPassword": "whatever123"}),
        h.post("/forget-password", {"email": "a@example.com"}),
    ]


@case
def post_get_session_without_defer(h: Http) -> list[httpx.Response]:
    return [h.post("/get-session", {})]


@case
def body_media_types(h: Http) -> list[httpx.Response]:
    return [
        h.request("POST", "/sign-in/email", content="x", headers={"Content-Type": "text/plain"}),
        h.request("POST", "/update-user", content="x", headers={"Content-Type": "text/plain"}),
        h.request("POST", "/sign-in/email", content="{bad json", headers={"Content-Type": "application/json"}),
        h.request("POST", "/sign-in/email"),
        h.request(
            "POST",
            "/sign-in/email",
            content='{"email":"nobody@example.com","password":"x"}',
            headers={"Content-Type": "application/json; charset=utf-8"},
        ),
    ]


@case
def sign_in_validation(h: Http) -> list[httpx.Response]:
    return [
        h.post("/sign-in/email", {}),
        h.post("/sign-in/email", {"email": "not-an-email", "password": "password123"}),
        h.post("/sign-in/email", {"email": "a@example.com"}),
        h.post("/sign-in/email", {"email": "a@example.com", "password": 12345678}),
        h.post("/sign-in/email", {"email": "a@example.com", "password": "x" * 129}),
        h.post("/sign-in/email", {"email": "a@example.com", "password": "password123", "rememberMe": "yes"}),
    ]


@case
def sign_up_validation(h: Http) -> list[httpx.Response]:
    return [
        h.post("/sign-up/email", {}),
        h.post("/sign-up/email", {"email": "v1@example.com", "password": PASSWORD}),
        h.post("/sign-up/email", {"email": "not-an-email", "password": PASSWORD, "name": "V"}),
        h.post("/sign-up/email", {"email": "v2@example.com", "password": "short", "name": "V"}),
        h.post("/sign-up/email", {"email": "v3@example.com", "password": "x" * 129, "name": "V"}),
        h.post("/sign-up/email", {"email": "v4@example.com", "password": PASSWORD, "name": 5}),
        h.post("/sign-up/email", {"email": "v5@example.com", "password": "", "name": "V"}),
    ]


@case
def sign_up_shapes(h: Http) -> list[httpx.Response]:
    return [
        h.post("/sign-up/email", {"email": "Shape.One@Example.COM", "password": PASSWORD, "name": "S", "image": "i"}),
        h.post(
            "/sign-up/email", {"email": "shape2@example.com", "password": PASSWORD, "name": "S", "emailVerified": True}
        ),
        h.post(
            "/sign-up/email", {"email": "shape3@example.com", "password": PASSWORD, "name": "S", "rememberMe": False}
        ),
        h.post("/sign-up/email", {"email": "shape4@example.com", "password": PASSWORD, "name": "S", "role": "admin"}),
        h.post("/sign-up/email", {"email": "shape5@example.com", "password": "x" * 128, "name": "S"}),
        h.post("/sign-up/email", {"email": "shape1@example.com", "password": PASSWORD, "name": "S"}),
        h.post("/sign-up/email", {"email": "SHAPE.ONE@example.com", "password": PASSWORD, "name": "S"}),
    ]


@case
def form_encoded(h: Http) -> list[httpx.Response]:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    return [
        h.request(
            "POST",
            "/sign-up/email",
            content=f"email=form%40example.com&password={quote(PASSWORD)}&name=F",
            headers=form,
        ),
        h.request(
            "POST", "/sign-in/email", content=f"email=form%40example.com&password={quote(PASSWORD)}", headers=form
        ),
        h.request("POST", "/sign-in/email", content="email=form%40example.com&password=wrong-password", headers=form),
        h.request("POST", "/update-user", content="name=x", headers=form, cookie="a=b"),
    ]


@case
def sign_in_shapes(h: Http) -> list[httpx.Response]:
    h.sign_up("signin@example.com")
    return [
        h.post("/sign-in/email", {"email": "SignIn@Example.com", "password": PASSWORD}),
        h.post("/sign-in/email", {"email": "signin@example.com", "password": PASSWORD, "rememberMe": False}),
        h.post("/sign-in/email", {"email": "signin@example.com", "password": PASSWORD, "callbackURL": "/dashboard"}),
        h.post("/sign-in/email", {"email": "signin@example.com", "password": PASSWORD, "callbackURL": ORIGIN + "/x"}),
        h.post("/sign-in/email", {"email": "signin@example.com", "password": "wrong password"}),
        h.post("/sign-in/email", {"email": "nobody@example.com", "password": PASSWORD}),
    ]


@case
def callback_url_checks(h: Http) -> list[httpx.Response]:
    body = {"email": "nobody@example.com", "password": PASSWORD}
    return [
        h.post("/sign-in/email", {**body, "callbackURL": "https://evil.com/x"}),
        h.post("/sign-in/email", {**body, "callbackURL": "//evil.com/x"}),
        h.post("/sign-in/email", {**body, "callbackURL": "/\\evil.com"}),
        h.post("/sign-in/email", {**body, "callbackURL": 123}),
        h.post("/sign-up/email", {**body, "name": "C", "callbackURL": "https://evil.com"}),
        h.post("/sign-out", {"callbackURL": "https://evil.com"}),
    ]


@case
def csrf_fetch_metadata(h: Http) -> list[httpx.Response]:
    body = {"email": "nobody@example.com", "password": PASSWORD}
    return [
        h.post(
            "/sign-in/email", body, origin=False, headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
        ),
        h.post("/sign-in/email", body, origin=False, headers={"Sec-Fetch-Mode": "cors"}),
        h.post("/sign-in/email", body, origin=False, headers={"Sec-Fetch-Site": "same-origin"}),
        h.post("/sign-in/email", body, origin=False, headers={"Origin": "https://evil.com"}),
        h.post("/sign-in/email", body, origin=False, headers={"Origin": "null"}),
        h.post("/sign-in/email", body, origin=False),
        h.post("/sign-in/email", body, origin=False, headers={"Referer": ORIGIN + "/login"}),
        h.post("/sign-in/email", body, origin=False, headers={"Referer": "https://evil.com/login"}),
        h.post("/sign-up/email", {**body, "name": "X"}, origin=False, headers={"Sec-Fetch-Mode": "cors"}),
    ]


@case
def origin_check_with_cookie(h: Http) -> list[httpx.Response]:
    return [
        h.post("/sign-out", origin=False, cookie="unrelated=1"),
        h.post("/sign-out", origin=False, cookie="unrelated=1", headers={"Origin": "https://evil.com"}),
        h.post("/sign-out", origin=False, cookie="unrelated=1", headers={"Origin": "null"}),
        h.post("/sign-out", origin=False, cookie="unrelated=1", headers={"Referer": ORIGIN + "/page"}),
        h.post(
            "/sign-out", origin=False, cookie="unrelated=1", headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"}
        ),
        h.post("/sign-out", origin=False, cookie="unrelated=1", headers={"Origin": "http://localhost:3000.evil.com"}),
        h.get("/get-session", origin=False, cookie="unrelated=1", headers={"Origin": "https://evil.com"}),
        h.post("/sign-out", origin=False),
    ]


@case
def get_session_variants(h: Http) -> list[httpx.Response]:
    cookie = h.sign_up("getsession@example.com")
    token = unquote(cookie.split("=", 1)[1]).split(".")[0]
    unknown = "U" * 32
    return [
        h.get("/get-session"),
        h.get("/get-session", cookie=cookie),
        h.get("/get-session", cookie=f"{SESSION_COOKIE}={unquote(cookie.split('=', 1)[1])}"),
        h.get("/get-session", cookie=f"{SESSION_COOKIE}={token}"),
        h.get("/get-session", cookie=f"{SESSION_COOKIE}={token}.{'A' * 43}="),
        h.get("/get-session", cookie=f"{SESSION_COOKIE}={sign(unknown)}"),
        h.get("/get-session", cookie=f"{SESSION_COOKIE}={sign(token, 'wrong-secret-0123456789abcdef0123')}"),
        h.get("/get-session", cookie=f"{cookie}; better-auth.session_data=garbage"),
        h.get("/get-session", cookie=cookie, params={"disableRefresh": "true"}),
        h.get("/get-session", cookie=cookie, params={"disableCookieCache": "false"}),
        h.get("/get-session", cookie=f"__Secure-{cookie}"),
    ]


@case
def session_endpoints_without_session(h: Http) -> list[httpx.Response]:
    return [
        h.get("/list-sessions"),
        h.post("/update-user", {"name": "x"}),
        h.post("/revoke-session", {"token": "x"}),
        h.post("/revoke-sessions", {}),
        h.post("/revoke-other-sessions", {}),
        h.post("/update-session", {}),
    ]


@case
def update_user_cases(h: Http) -> list[httpx.Response]:
    cookie = h.sign_up("update@example.com")
    return [
        h.post("/update-user", {}, cookie=cookie),
        h.post("/update-user", {"email": "x@example.com"}, cookie=cookie),
        # {"name": 42}: Better Auth stores it; we refuse it with VALIDATION_ERROR (tests/http/test_endpoints.py).
        h.post("/update-user", {"unknownField": "x"}, cookie=cookie),
        h.post("/update-user", {"role": "admin"}, cookie=cookie),
        h.post("/update-user", {"emailVerified": True}, cookie=cookie),
        h.post("/update-user", {"name": "New"}, cookie=cookie),
        h.post("/update-user", {"image": None}, cookie=cookie),
        h.get("/get-session", cookie=cookie),
        h.request("POST", "/update-user", cookie=cookie),
        h.post("/update-session", {}, cookie=cookie),
    ]


@case
def revoke_cases(h: Http) -> list[httpx.Response]:
    cookie = h.sign_up("revoke@example.com")
    token = unquote(cookie.split("=", 1)[1]).split(".")[0]
    return [
        h.post("/revoke-session", {}, cookie=cookie),
        h.post("/revoke-session", {"token": 5}, cookie=cookie),
        h.get("/list-sessions", cookie=cookie),
        h.post("/revoke-session", {"token": token}, cookie=cookie),
        h.get("/get-session", cookie=cookie),
    ]


@case
def verify_password_cases(h: Http) -> list[httpx.Response]:
    cookie = h.sign_up("verifypw@example.com")
    return [
        h.post("/verify-password", {"password": PASSWORD}, cookie=cookie),
        h.post("/verify-password", {"password": "wrong password"}, cookie=cookie),
        h.post("/verify-password", {}, cookie=cookie),
    ]


@case
def change_password_cases(h: Http) -> list[httpx.Response]:
    cookie = h.sign_up("changepw@example.com")
    new = "a brand new password"
    responses = [
        h.post("/change-password", {"currentPassword": "wrong password", "newPassword": new}, cookie=cookie),
        h.post("/change-password", {"currentPassword": PASSWORD, "newPassword": "short"}, cookie=cookie),
        h.post("/change-password", {"currentPassword": PASSWORD, "newPassword": "x" * 129}, cookie=cookie),
        h.post("/change-password", {"newPassword": new}, cookie=cookie),
        h.post(
            "/change-password",
            {"currentPassword": PASSWORD, "newPassword": new, "revokeOtherSessions": 1},
            cookie=cookie,
        ),
        h.post("/change-password", {"currentPassword": PASSWORD, "newPassword": new}, cookie=cookie),
        h.post("/sign-in/email", {"email": "changepw@example.com", "password": new}),
    ]
    second = h.post(
        "/change-password",
        {"currentPassword": new, "newPassword": PASSWORD, "revokeOtherSessions": True},
        cookie=cookie,
    )
    responses.append(second)
    responses.append(h.get("/get-session", cookie=cookie))
    new_cookie = cookie_of(second) if second.status_code == 200 else None
    responses.append(h.get("/get-session", cookie=new_cookie))
    return responses


@case
def accounts_cases(h: Http) -> list[httpx.Response]:
    cookie = h.sign_up("accounts@example.com")
    return [
        h.get("/list-accounts"),
        h.get("/list-accounts", cookie=cookie),
        h.post("/unlink-account", {"accountId": "nope"}, cookie=cookie),
        h.post("/unlink-account", {}, cookie=cookie),
    ]


@case
def features_not_configured(h: Http) -> list[httpx.Response]:
    cookie = h.sign_up("features@example.com")
    return [
        h.post("/change-password", {"currentPassword": PASSWORD, "newPassword": "new password 123"}),
        h.post("/request-password-reset", {"email": "features@example.com"}),
        h.post("/request-password-reset", {"email": "features@example.com", "redirectTo": "https://evil.com"}),
        h.post("/send-verification-email", {"email": "features@example.com"}),
        h.post("/send-verification-email", {"email": "features@example.com"}, cookie=cookie),
        h.get("/verify-email"),
        h.get("/verify-email", params={"token": "not-a-jwt"}),
        h.get("/verify-email", params={"token": "not-a-jwt", "callbackURL": "/done?a=1"}),
        h.get("/verify-email", params={"token": "not-a-jwt", "callbackURL": "https://evil.com"}),
        h.get("/reset-password/sometoken"),
        h.get("/reset-password/sometoken", params={"callbackURL": "/reset"}),
        h.get("/reset-password/sometoken", params={"callbackURL": ""}),
        h.get("/reset-password/sometoken", params={"callbackURL": "https://evil.com"}),
        h.post("/reset-password", {"newPassword": "whatever new pw", "token": "nope"}),
        h.post("/reset-password", {"newPassword": "whatever new pw"}),
        h.post("/reset-password", {"newPassword": "short", "token": "nope"}),
        h.post("/delete-user", {}),
        h.post("/delete-user", {}, cookie=cookie),
        h.get("/delete-user/callback", params={"token": "x"}),
        h.post("/change-email", {"newEmail": "new@example.com"}, cookie=cookie),
        h.post("/set-password", {"newPassword": "whatever new pw"}, cookie=cookie),
        h.post("/forget-password", {"email": "features@example.com"}),
    ]


@profile_case("mail")
def mailed_flows(h: Http) -> list[httpx.Response]:
    cookie = h.sign_up("mail@example.com")
    other = h.sign_up("taken@example.com")
    return [
        h.post("/request-password-reset", {"email": "mail@example.com", "redirectTo": "/reset"}),
        h.post("/request-password-reset", {"email": "nobody@example.com"}),
        h.post("/request-password-reset", {"email": "not-an-email"}),
        h.post("/request-password-reset", {"email": "mail@example.com", "redirectTo": "https://evil.com"}),
        h.post("/send-verification-email", {"email": "nobody@example.com"}),
        h.post("/send-verification-email", {"email": "mail@example.com", "callbackURL": "/v"}),
        h.post("/send-verification-email", {"email": "other@example.com"}, cookie=cookie),
        h.post("/send-verification-email", {"email": "MAIL@example.com"}, cookie=cookie),
        h.post("/send-verification-email", {"email": "mail@example.com", "callbackURL": "https://evil.com"}),
        h.post("/change-email", {"newEmail": "MAIL@example.com"}, cookie=cookie),
        h.post("/change-email", {"newEmail": "not-an-email"}, cookie=cookie),
        h.post("/change-email", {"newEmail": "taken@example.com"}, cookie=cookie),
        h.post("/change-email", {"newEmail": "fresh@example.com", "callbackURL": "/changed"}, cookie=cookie),
        h.post("/change-email", {"newEmail": "fresh@example.com", "callbackURL": "https://evil.com"}, cookie=cookie),
        h.get("/delete-user/callback", params={"token": "nope"}, cookie=other),
        h.get("/delete-user/callback", params={"token": "nope", "callbackURL": "https://evil.com"}, cookie=other),
        h.post("/delete-user", {"token": "nope"}, cookie=other),
        h.post("/delete-user", {"password": "wrong password"}, cookie=other),
        h.post("/delete-user", {"password": PASSWORD}, cookie=other),
        h.get("/get-session", cookie=other),
        h.post("/send-verification-email", {"email": "mail@example.com", "callbackURL": None}),
        h.post("/request-password-reset", {"email": "mail@example.com", "redirectTo": None}),
        h.post("/reset-password", {"newPassword": "whatever new pw", "token": None}),
        h.post("/change-email", {"newEmail": "fresh2@example.com", "callbackURL": None}, cookie=cookie),
        h.post(
            "/change-password",
            {"currentPassword": PASSWORD, "newPassword": "x" * 10, "revokeOtherSessions": None},
            cookie=cookie,
        ),
        h.post("/delete-user", {"password": None}, cookie=cookie),
        h.post("/delete-user", {}, cookie=cookie),
        h.get("/get-session", cookie=cookie),
    ]


@case
def body_edge_cases(h: Http) -> list[httpx.Response]:
    """Bodies that are not objects, nulls and odd types on the core routes (claims audited against Better Auth)."""
    cookie = h.sign_up("edges@example.com")
    raw_session = unquote(cookie.split("=", 1)[1])
    json_type = {"Content-Type": "application/json"}
    responses = [
        h.get("/get-session", cookie=f'{SESSION_COOKIE}="{raw_session}"'),
        h.request("POST", "/get-session", content=b"[]", headers=json_type),
        h.request("POST", "/get-session", content=b"{not json", headers=json_type),
        h.request("POST", "/get-session", content=b"hello", headers={"Content-Type": "text/plain"}),
        h.request("POST", "/revoke-sessions", content=b"[]", headers=json_type),
        h.request("POST", "/revoke-other-sessions", content=b"[]", headers=json_type),
        h.request("POST", "/revoke-other-sessions", content=b"null", headers=json_type, cookie=cookie),
        h.request("POST", "/revoke-other-sessions", content=b'"x"', headers=json_type, cookie=cookie),
        h.request("POST", "/update-session", headers=json_type, cookie=cookie),
        h.request("POST", "/update-session", content=b"[]", headers=json_type, cookie=cookie),
        h.request("POST", "/update-session", content=b"null", headers=json_type, cookie=cookie),
        h.request("POST", "/update-user", content=b"[]", headers=json_type, cookie=cookie),
        h.request("POST", "/update-user", content=b"null", headers=json_type, cookie=cookie),
        h.request("POST", "/update-user", content=b'"x"', headers=json_type, cookie=cookie),
        h.request("POST", "/update-user", headers=json_type, cookie=cookie),
        h.request("POST", "/sign-out", content=b"null", headers=json_type),
        h.request("POST", "/sign-out", content=b"[]", headers=json_type),
        h.request("POST", "/sign-out", content=b'"x"', headers=json_type),
        h.post("/sign-out", {"disableRedirect": "true"}),
        h.post("/sign-out", {"state": None}),
    ]
    return responses


@case
def sign_in_edge_cases(h: Http) -> list[httpx.Response]:
    h.sign_up("edge-in@example.com")
    body = {"email": "edge-in@example.com", "password": PASSWORD}
    return [
        h.post("/sign-in/email", {**body, "email": "edge-in@example.com\n"}),
        h.post("/sign-in/email", {**body, "callbackURL": "/dashboard"}),
        h.post("/sign-in/email", {**body, "callbackURL": "http://localhost:3000/after?x=1"}),
        h.post("/sign-in/email", {**body, "callbackURL": ""}),
        h.post("/sign-in/email", body, cookie="better-auth.dont_remember=true.forged"),
        h.post("/sign-in/email", {**body, "rememberMe": "false"}),
        h.post("/sign-in/email", {**body, "rememberMe": 0}),
        h.post("/sign-in/email", {**body, "rememberMe": None}),
        h.post("/sign-in/email", {**body, "callbackURL": None}),
        h.request(
            "POST",
            "/sign-in/email",
            content="email=EDGE-IN%40example.com&password=" + quote(PASSWORD),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        h.request(
            "POST",
            "/sign-in/email",
            content="email=edge-in%40example.com&rememberMe=false&password=" + quote(PASSWORD),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        h.post("/sign-up/email", {"email": "edge-up@example.com\n", "password": PASSWORD, "name": "E"}),
        h.post("/sign-up/email", {"email": "edge-up2@example.com", "password": PASSWORD, "name": "E", "image": None}),
        h.post(
            "/sign-up/email", {"email": "edge-up3@example.com", "password": PASSWORD, "name": "E", "callbackURL": None}
        ),
        h.post(
            "/sign-up/email", {"email": "edge-up4@example.com", "password": PASSWORD, "name": "E", "rememberMe": None}
        ),
    ]


@case
def error_page(h: Http) -> list[httpx.Response]:
    return [h.get("/error"), h.get("/error", params={"error": "some_code"})]


# ------------------------------------------------------------------------------------------- client IP (§4)
@case
def ip_address_cases(h: Http) -> list[httpx.Response]:
    responses = []
    for i, forwarded in enumerate(
        ["203.0.113.7", "198.51.100.9, 10.0.0.1", "2001:db8:85a3:1:2:8a2e:370:7334", "::ffff:192.0.2.1", "garbage", ""]
    ):
        email = f"ip{i}@example.com"
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        signed_up = h.post("/sign-up/email", {"email": email, "password": PASSWORD, "name": "IP"}, headers=headers)
        responses.append(h.get("/get-session", cookie=cookie_of(signed_up)))
    return responses


# ------------------------------------------------------------------------------------------- profile cases
def _jar(*responses: httpx.Response, start: str = "") -> str:
    jar: dict[str, str] = {}
    for part in filter(None, start.split("; ")):
        name, _, value = part.partition("=")
        jar[name] = value
    for response in responses:
        for raw in response.headers.get_list("set-cookie"):
            name, _, value = raw.split(";", 1)[0].partition("=")
            jar[name] = value
    return "; ".join(f"{k}={v}" for k, v in jar.items() if v)


@profile_case("cookie-cache")
def cookie_cache_cases(h: Http) -> list[httpx.Response]:
    signed_up = h.post("/sign-up/email", {"email": "cache@example.com", "password": PASSWORD, "name": "Cache"})
    jar = _jar(signed_up)
    token = signed_up.json()["token"]
    session_only = "; ".join(c for c in jar.split("; ") if c.startswith(SESSION_COOKIE))
    responses = [signed_up, h.get("/get-session", cookie=jar), h.get("/get-session", cookie=session_only)]
    tampered = re.sub(r"(session_data=[^;]{20})[^;]", r"\1A", jar)
    responses.append(h.get("/get-session", cookie=tampered))
    responses.append(h.post("/update-user", {"name": "Cache Renamed"}, cookie=jar))
    jar = _jar(responses[-1], start=jar)
    responses.append(h.get("/get-session", cookie=jar))
    db_query(h.database, 'delete from "session" where token = $1', token)
    responses += [
        h.get("/get-session", cookie=jar),  # still answered from the cookie cache
        h.get("/list-sessions", cookie=jar),
        h.get("/get-session", cookie=jar, params={"disableCookieCache": "true"}),
        h.get("/get-session", cookie=jar),
    ]
    remember = h.post("/sign-in/email", {"email": "cache@example.com", "password": PASSWORD, "rememberMe": False})
    responses += [remember, h.get("/get-session", cookie=_jar(remember))]
    return responses


@profile_case("defer-refresh")
def defer_refresh_cases(h: Http) -> list[httpx.Response]:
    signed_up = h.post("/sign-up/email", {"email": "defer@example.com", "password": PASSWORD, "name": "Defer"})
    cookie, token = cookie_of(signed_up), signed_up.json()["token"]
    responses = [signed_up, h.get("/get-session", cookie=cookie), h.post("/get-session", {}, cookie=cookie)]
    now = datetime.now(UTC)
    db_query(
        h.database,
        'update "session" set "expiresAt" = $1, "updatedAt" = $2 where token = $3',
        db_time(h.database, now + timedelta(days=5)),
        db_time(h.database, now - timedelta(days=2)),
        token,
    )
    responses += [
        h.get("/get-session", cookie=cookie),
        h.post("/get-session", {}, cookie=cookie),
        h.get("/get-session", cookie=cookie),
        h.post("/get-session", {}),
        h.get("/get-session"),
    ]
    return responses


@profile_case("no-auto-sign-in", "require-verification")
def sign_up_without_session_cases(h: Http) -> list[httpx.Response]:
    body = {"email": "nosession@example.com", "password": PASSWORD, "name": "N"}
    return [
        h.post("/sign-up/email", body),
        h.post("/sign-up/email", body),
        h.post("/sign-up/email", {**body, "email": "NoSession@Example.com", "password": "short"}),
        h.post("/sign-in/email", {"email": body["email"], "password": PASSWORD}),
        h.post("/sign-in/email", {"email": body["email"], "password": "wrong password"}),
        h.post("/sign-in/email", {"email": body["email"], "password": PASSWORD, "callbackURL": "/x"}),
    ]


@profile_case("sign-up-disabled")
def sign_up_disabled_cases(h: Http) -> list[httpx.Response]:
    return [
        h.post("/sign-up/email", {"email": "disabled@example.com", "password": PASSWORD, "name": "D"}),
        h.post("/sign-up/email", {}),
        h.post("/sign-in/email", {"email": "disabled@example.com", "password": PASSWORD}),
    ]


@profile_case("https-base-url")
def secure_cookie_cases(h: Http) -> list[httpx.Response]:
    secure = f"__Secure-{SESSION_COOKIE}"
    signed_up = h.post("/sign-up/email", {"email": "secure@example.com", "password": PASSWORD, "name": "S"})
    cookie = cookie_of(signed_up, secure)
    plain = cookie.replace(secure, SESSION_COOKIE)
    remember = h.post("/sign-in/email", {"email": "secure@example.com", "password": PASSWORD, "rememberMe": False})
    return [
        signed_up,
        h.get("/get-session", cookie=cookie),
        h.get("/get-session", cookie=plain),
        remember,
        h.get("/get-session", cookie=_jar(remember)),
        h.post("/update-user", {"name": "Secure"}, cookie=cookie),
        h.post("/sign-out", {}, cookie=cookie),
        h.get("/get-session", cookie=cookie),
        h.post("/sign-in/email", {"email": "secure@example.com", "password": PASSWORD, "callbackURL": "/next"}),
    ]


@profile_case("production")
def production_cases(h: Http) -> list[httpx.Response]:
    responses = [h.get("/error"), h.get("/error", params={"error": "bad code!", "error_description": "d"})]
    ip = {"X-Forwarded-For": "203.0.113.50"}
    body = {"email": "limit@example.com", "password": PASSWORD}
    responses += [h.post("/sign-in/email", body, headers=ip) for _ in range(4)]
    responses.append(h.post("/sign-in/email", body, headers={"X-Forwarded-For": "203.0.113.51"}))
    responses.append(h.post("/sign-up/email", {**body, "name": "L"}, headers=ip))
    responses.append(h.get("/get-session", headers=ip))
    return responses


# ------------------------------------------------------------------------------------------- plugin cases
@plugin_case
def bearer_cases(h: Http) -> list[httpx.Response]:
    response = h.post("/sign-up/email", {"email": "bearer@example.com", "password": PASSWORD, "name": "B"})
    token = response.headers.get("set-auth-token", "")
    raw = token.split(".")[0]
    bearer = {"Authorization": f"Bearer {token}"}
    return [
        response,
        h.get("/get-session", origin=False, headers=bearer),
        h.get("/get-session", origin=False, headers={"Authorization": f"Bearer {quote(token, safe='')}"}),
        h.get("/get-session", origin=False, headers={"Authorization": f"bearer {raw}"}),
        h.get("/get-session", origin=False, headers={"Authorization": f"Bearer {raw}.{'A' * 43}="}),
        h.get("/get-session", origin=False, headers={"Authorization": "Bearer garbage"}),
        h.get("/get-session", origin=False, headers={"Authorization": "Basic Zm9vOmJhcg=="}),
        h.get("/get-session", origin=False, headers={"Authorization": "Bearer"}),
        h.post("/update-user", {"name": "Bearer"}, origin=False, headers=bearer),
        h.post("/sign-in/email", {"email": "bearer@example.com", "password": PASSWORD}),
        h.get("/list-sessions", origin=False, headers=bearer),
        h.post("/sign-out", {}, origin=False, headers=bearer),
        h.get("/get-session", origin=False, headers=bearer),
    ]


@plugin_case
def jwt_cases(h: Http) -> list[httpx.Response]:
    cookie = h.sign_up("jwt@example.com")
    return [
        h.get("/token"),
        h.get("/jwks"),
        h.get("/token", cookie=cookie),
        h.get("/get-session", cookie=cookie),
        h.get("/get-session"),
        h.get("/jwks"),
        h.post("/jwks", {}),
        h.post("/token", {}, cookie=cookie),
    ]


@admin_case
def admin_session_required(h: Http) -> list[httpx.Response]:
    cookie = h.sign_up("plain@example.com")
    return [
        h.get("/admin/list-users"),
        h.post("/admin/create-user", {"email": "x@example.com", "password": PASSWORD, "name": "X"}),
        h.post("/admin/stop-impersonating", {}),
        h.post("/admin/has-permission", {"permissions": {"user": ["list"]}}),
        h.get("/admin/list-users", cookie=cookie),
        h.get("/admin/get-user", cookie=cookie, params={"id": "x"}),
        h.post("/admin/create-user", {"email": "x@example.com", "password": PASSWORD, "name": "X"}, cookie=cookie),
        h.post("/admin/set-role", {"userId": "x", "role": "admin"}, cookie=cookie),
        h.post("/admin/ban-user", {"userId": "x"}, cookie=cookie),
        h.post("/admin/impersonate-user", {"userId": "x"}, cookie=cookie),
        h.post("/admin/remove-user", {"userId": "x"}, cookie=cookie),
        h.post("/admin/set-user-password", {"userId": "x", "newPassword": "whatever123"}, cookie=cookie),
        h.post("/admin/list-user-sessions", {"userId": "x"}, cookie=cookie),
        h.post("/admin/revoke-user-sessions", {"userId": "x"}, cookie=cookie),
        h.post("/admin/has-permission", {"permissions": {"user": ["list"]}}, cookie=cookie),
        h.post("/admin/has-permission", {"permission": {"user": ["list"]}}, cookie=cookie),
        h.post("/admin/stop-impersonating", {}, cookie=cookie),
        h.post("/update-user", {"role": "admin"}, cookie=cookie),
        h.post("/sign-up/email", {"email": "role@example.com", "password": PASSWORD, "name": "R", "role": "admin"}),
        h.post("/sign-up/email", {"email": "banned@example.com", "password": PASSWORD, "name": "R", "banned": True}),
    ]


@admin_case
def admin_users(h: Http) -> list[httpx.Response]:
    admin = h.admin("admin1@example.com")
    h.sign_up("alpha@example.com")
    h.sign_up("beta@example.com")
    return [
        h.get("/admin/list-users", cookie=admin, params={"sortBy": "email"}),
        h.get("/admin/list-users", cookie=admin, params={"limit": "1", "offset": "0", "sortBy": "email"}),
        h.get(
            "/admin/list-users",
            cookie=admin,
            params={"limit": "2", "offset": "1", "sortBy": "email", "sortDirection": "desc"},
        ),
        h.get("/admin/list-users", cookie=admin, params={"searchValue": "alp", "sortBy": "email"}),
        h.get(
            "/admin/list-users",
            cookie=admin,
            params={"searchValue": "EXAMPLE", "searchField": "email", "sortBy": "email"},
        ),
        h.get("/admin/list-users", cookie=admin, params={"searchValue": "be", "searchOperator": "starts_with"}),
        h.get(
            "/admin/list-users", cookie=admin, params={"searchValue": "Diff", "searchField": "name", "sortBy": "email"}
        ),
        h.get("/admin/list-users", cookie=admin, params={"filterField": "role", "filterValue": "admin"}),
        h.get(
            "/admin/list-users",
            cookie=admin,
            params={"filterField": "role", "filterValue": "admin", "filterOperator": "ne", "sortBy": "email"},
        ),
        h.get("/admin/list-users", cookie=admin, params={"limit": "abc"}),
        h.get("/admin/list-users", cookie=admin, params={"sortDirection": "sideways"}),
        h.post("/admin/create-user", {"email": "Created@Example.com", "password": PASSWORD, "name": "C"}, cookie=admin),
        h.post("/admin/create-user", {"email": "created@example.com", "password": PASSWORD, "name": "C"}, cookie=admin),
        h.post(
            "/admin/create-user", {"email": "nopw@example.com", "name": "N", "role": ["user", "admin"]}, cookie=admin
        ),
        h.post("/admin/create-user", {"email": "bad", "password": PASSWORD, "name": "C"}, cookie=admin),
        h.post(
            "/admin/create-user",
            {"email": "data@example.com", "password": PASSWORD, "name": "D", "data": {"image": "i"}},
            cookie=admin,
        ),
        h.post("/admin/create-user", {"email": "short@example.com", "password": "x", "name": "S"}, cookie=admin),
        h.get("/admin/get-user", cookie=admin, params={"id": "x" * 32}),
        h.get("/admin/get-user", cookie=admin),
    ]


@admin_case
def admin_moderation(h: Http) -> list[httpx.Response]:
    admin = h.admin("admin2@example.com")
    admin_id = h.user_id(admin)
    victim_cookie = h.sign_up("victim@example.com")
    victim = h.user_id(victim_cookie)
    return [
        h.post("/admin/update-user", {"userId": victim, "data": {}}, cookie=admin),
        h.post("/admin/update-user", {"userId": victim, "data": {"password": "x"}}, cookie=admin),
        h.post("/admin/update-user", {"userId": victim, "data": {"id": "x"}}, cookie=admin),
        h.post("/admin/update-user", {"userId": "x" * 32, "data": {"name": "n"}}, cookie=admin),
        h.post("/admin/update-user", {"userId": victim, "data": {"name": "Renamed", "image": "img"}}, cookie=admin),
        h.post("/admin/update-user", {"userId": admin_id, "data": {"banned": True}}, cookie=admin),
        h.post("/admin/set-role", {"userId": victim, "role": ["user", "admin"]}, cookie=admin),
        h.post("/admin/set-role", {"userId": victim, "role": "user"}, cookie=admin),
        h.post("/admin/set-role", {"userId": victim, "role": "superuser"}, cookie=admin),
        h.post("/admin/ban-user", {"userId": admin_id}, cookie=admin),
        h.post("/admin/ban-user", {"userId": "x" * 32}, cookie=admin),
        h.post("/admin/list-user-sessions", {"userId": victim}, cookie=admin),
        h.post("/admin/ban-user", {"userId": victim, "banReason": "spam", "banExpiresIn": 3600}, cookie=admin),
        h.get("/get-session", cookie=victim_cookie),
        h.post("/sign-in/email", {"email": "victim@example.com", "password": PASSWORD}),
        h.post("/admin/ban-user", {"userId": victim}, cookie=admin),
        h.post("/admin/unban-user", {"userId": victim}, cookie=admin),
        h.post("/sign-in/email", {"email": "victim@example.com", "password": PASSWORD}),
        h.post("/admin/revoke-user-session", {"sessionToken": "nope"}, cookie=admin),
        h.post("/admin/revoke-user-sessions", {"userId": victim}, cookie=admin),
        h.post("/admin/set-user-password", {"userId": victim, "newPassword": "x"}, cookie=admin),
        h.post("/admin/set-user-password", {"userId": victim, "newPassword": "brand new password"}, cookie=admin),
        h.post(
            "/admin/has-permission", {"permissions": {"user": ["list", "ban"], "session": ["revoke"]}}, cookie=admin
        ),
        h.post("/admin/has-permission", {"permissions": {"user": ["impersonate-admins"]}}, cookie=admin),
        h.post("/admin/has-permission", {"permissions": {"unknown": ["x"]}}, cookie=admin),
        h.post("/admin/remove-user", {"userId": admin_id}, cookie=admin),
        h.post("/admin/remove-user", {"userId": "x" * 32}, cookie=admin),
        h.post("/admin/remove-user", {"userId": victim}, cookie=admin),
        h.get("/admin/get-user", cookie=admin, params={"id": victim}),
    ]


@admin_case
def admin_impersonation(h: Http) -> list[httpx.Response]:
    admin = h.admin("admin3@example.com")
    other_admin = h.admin("admin4@example.com")
    target = h.user_id(h.sign_up("target@example.com"))
    started = h.post("/admin/impersonate-user", {"userId": target}, cookie=admin)
    jar = {}
    for raw in [admin, *[c.split(";", 1)[0] for c in started.headers.get_list("set-cookie")]]:
        name, _, value = raw.partition("=")
        jar[name] = value
    impersonating = "; ".join(f"{k}={v}" for k, v in jar.items() if v)
    return [
        h.post("/admin/impersonate-user", {"userId": h.user_id(other_admin)}, cookie=admin),
        h.post("/admin/impersonate-user", {"userId": "x" * 32}, cookie=admin),
        started,
        h.get("/get-session", cookie=impersonating),
        h.get("/list-sessions", cookie=impersonating),
        h.get("/admin/list-users", cookie=impersonating),
        h.post("/admin/stop-impersonating", {}, cookie=impersonating.replace("better-auth.admin_session", "x")),
        h.post("/admin/stop-impersonating", {}, cookie=impersonating),
        h.post("/admin/stop-impersonating", {}, cookie=admin),
    ]


def test_same_wire_as_better_auth(pairs: PairPool, pair_name: str, name: str) -> None:
    pair = pairs.get(pair_name)
    ts_responses = CASES[name](Http(pair.ts, pair.databases["ts"]))
    py_responses = CASES[name](Http(pair.py, pair.databases["py"]))
    assert len(ts_responses) == len(py_responses)
    differences = []
    for ts_resp, py_resp in zip(ts_responses, py_responses, strict=True):
        expected, actual = normalize(ts_resp, pair.ts), normalize(py_resp, pair.py)
        if expected != actual:
            differences.append(
                f"{expected['request']} {_request_note(ts_resp)}\n"
                f"  better-auth: {json.dumps(expected, sort_keys=True)}\n"
                f"  python:      {json.dumps(actual, sort_keys=True)}"
            )
    assert not differences, f"{len(differences)} response(s) differ from Better Auth 1.7.24:\n" + "\n".join(differences)


def _request_note(response: httpx.Response) -> str:
    request = response.request
    interesting = {
        k: v for k, v in request.headers.items() if k.lower() in ("origin", "referer", "cookie", "content-type")
    }
    interesting.update({k: v for k, v in request.headers.items() if k.lower().startswith("sec-fetch")})
    body = request.content.decode(errors="replace")[:200]
    return f"headers={interesting} body={body!r}"
