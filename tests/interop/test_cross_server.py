"""The Python server and the real Better Auth 1.7.24 server share one PostgreSQL database and one secret.

Raw HTTP (httpx) with ``Origin: http://localhost:3000``; cookies are carried by hand so that it is always
explicit which server issued which cookie. A fresh database per test.

* Python creates the schema (``auth.create_schema()``); the TS server runs on it without migrating.
* Users and sessions made by either server work on the other; sign-out on one ends the session on both;
  both servers answer the same JSON for the same session.
* The rows each server writes look alike, and the schema Python creates matches Better Auth's migrations.
* The other direction: Better Auth's own migrations create the schema (MIGRATE=1) and the Python server
  (SKIP_CREATE_SCHEMA=1) runs on it, including the official-client flow.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest

from tests._services import create_postgres_database, drop_postgres_database

from .conftest import (
    ORIGIN,
    Server,
    assert_flow,
    db_query,
    db_time,
    pg_query,
    python_database_url,
    run_client_flow,
)

pytestmark = pytest.mark.interop

SESSION_COOKIE = "better-auth.session_token"
ID32 = re.compile(r"^[A-Za-z0-9]{32}$")
JS_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ANY_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}")
SCRYPT = re.compile(r"^[0-9a-f]{32}:[0-9a-f]{128}$")
UA = "interop-test/1.0"
PASSWORD = "correct horse battery staple"


# ------------------------------------------------------------------------------------------- raw HTTP helpers
def post(server: Server, path: str, body: Any = None, cookie: str | None = None) -> httpx.Response:
    headers = {"Origin": ORIGIN, "User-Agent": UA}
    if cookie:
        headers["Cookie"] = cookie
    return httpx.post(f"{server.url}/api/auth{path}", json={} if body is None else body, headers=headers, timeout=30)


def get(server: Server, path: str, cookie: str | None = None) -> httpx.Response:
    headers = {"Origin": ORIGIN, "User-Agent": UA}
    if cookie:
        headers["Cookie"] = cookie
    return httpx.get(f"{server.url}/api/auth{path}", headers=headers, timeout=30)


def session_cookie(response: httpx.Response) -> str:
    """``better-auth.session_token=<value>`` from the response's Set-Cookie, as a browser would send it back."""
    for raw in response.headers.get_list("set-cookie"):
        name, _, rest = raw.partition("=")
        if name == SESSION_COOKIE:
            value = rest.split(";", 1)[0]
            assert value, f"session cookie is being deleted: {raw}"
            return f"{SESSION_COOKIE}={value}"
    raise AssertionError(f"no {SESSION_COOKIE} Set-Cookie in {response.headers.get_list('set-cookie')}")


def sign_up(server: Server, email: str, name: str = "Alice") -> httpx.Response:
    response = post(server, "/sign-up/email", {"email": email, "password": PASSWORD, "name": name})
    assert response.status_code == 200, f"{server.name} sign-up: {response.status_code} {response.text}"
    return response


def sign_in(server: Server, email: str, password: str = PASSWORD, **extra: Any) -> httpx.Response:
    response = post(server, "/sign-in/email", {"email": email, "password": password, **extra})
    assert response.status_code == 200, f"{server.name} sign-in: {response.status_code} {response.text}"
    return response


def session_json(server: Server, cookie: str) -> Any:
    response = get(server, "/get-session", cookie)
    assert response.status_code == 200, f"{server.name} get-session: {response.status_code} {response.text}"
    return response.json()


def new_email(tag: str) -> str:
    return f"{tag}.{secrets.token_hex(4)}@example.com"


# ------------------------------------------------------------------------------------------- fixtures
@pytest.fixture
def shared(
    database: str, start_py_server: Callable[..., Server], start_ts_server: Callable[..., Server]
) -> tuple[Server, Server, str]:
    """(python, ts, database): Python creates the schema first, then Better Auth runs on the same database
    (SQLite file or PostgreSQL)."""
    py = start_py_server(python_database_url(database))
    ts = start_ts_server(database)
    return py, ts, database


@pytest.fixture
def second_pg_dsn() -> Iterator[str]:
    """A second fresh PostgreSQL database."""
    dsn = asyncio.run(create_postgres_database())
    try:
        yield dsn
    finally:
        asyncio.run(drop_postgres_database(dsn))


def both_ways(shared: tuple[Server, Server, str]) -> list[tuple[Server, Server]]:
    py, ts, _ = shared
    return [(py, ts), (ts, py)]


# ------------------------------------------------------------------------------------------- accounts
@pytest.mark.parametrize("direction", ["python->ts", "ts->python"])
def test_user_signed_up_on_one_signs_in_on_the_other(shared: tuple[Server, Server, str], direction: str) -> None:
    first, second = both_ways(shared)[0 if direction == "python->ts" else 1]
    email = new_email("cross")
    created = sign_up(first, email.upper()).json()
    signed_in = sign_in(second, email).json()
    assert signed_in["user"] == created["user"], "the other server returns a different user object"
    assert signed_in["redirect"] is False
    # a wrong password is refused by the other server as by Better Auth
    wrong = post(second, "/sign-in/email", {"email": email, "password": "not the password"})
    assert wrong.status_code == 401
    assert wrong.json() == {"message": "Invalid email or password", "code": "INVALID_EMAIL_OR_PASSWORD"}
    # and a duplicate sign-up is refused by the other server too
    duplicate = post(second, "/sign-up/email", {"email": email, "password": PASSWORD, "name": "Dup"})
    assert duplicate.status_code == 422, duplicate.text
    assert duplicate.json()["code"] == "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"


# ------------------------------------------------------------------------------------------- sessions
@pytest.mark.parametrize("direction", ["python->ts", "ts->python"])
def test_session_cookie_accepted_by_the_other_server(shared: tuple[Server, Server, str], direction: str) -> None:
    issuer, other = both_ways(shared)[0 if direction == "python->ts" else 1]
    email = new_email("cookie")
    response = sign_up(issuer, email)
    cookie = session_cookie(response)
    token = response.json()["token"]
    at_issuer = session_json(issuer, cookie)
    at_other = session_json(other, cookie)
    assert at_other is not None, f"{other.name} does not accept a session cookie issued by {issuer.name}"
    assert at_other["session"]["token"] == token
    assert at_other == at_issuer, "the two servers describe the same session differently"
    # the raw (unencoded) form of the signed cookie is accepted too (§3.2)
    raw_cookie = f"{SESSION_COOKIE}={unquote(cookie.split('=', 1)[1])}"
    assert session_json(other, raw_cookie) == at_issuer
    # a tampered signature is treated as no cookie by both
    # (a character in the middle of the base64 signature: the last one before "=" carries unused bits, which
    # atob ignores, so changing it may not change the signature at all)
    value, _, signature = unquote(cookie.split("=", 1)[1]).rpartition(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    tampered = f"{SESSION_COOKIE}={quote(f'{value}.{flipped}', safe='')}"
    for server in (issuer, other):
        response = get(server, "/get-session", tampered)
        assert response.status_code == 200 and response.json() is None, (server.name, response.text)
        assert response.headers.get_list("set-cookie") == [], (server.name, response.headers)


@pytest.mark.parametrize("direction", ["python->ts", "ts->python"])
def test_sign_out_on_one_server_ends_the_session_on_the_other(
    shared: tuple[Server, Server, str], direction: str
) -> None:
    issuer, other = both_ways(shared)[0 if direction == "python->ts" else 1]
    email = new_email("signout")
    cookie = session_cookie(sign_up(issuer, email))
    assert session_json(other, cookie) is not None
    response = post(other, "/sign-out", cookie=cookie)
    assert response.status_code == 200 and response.json() == {"success": True}, response.text
    assert session_json(issuer, cookie) is None, f"{issuer.name} still accepts a session signed out on {other.name}"
    assert session_json(other, cookie) is None


def test_sessions_listed_and_revoked_across_servers(shared: tuple[Server, Server, str]) -> None:
    py, ts, _ = shared
    email = new_email("list")
    py_cookie = session_cookie(sign_up(py, email))
    ts_cookie = session_cookie(sign_in(ts, email))
    py_list = get(py, "/list-sessions", py_cookie)
    ts_list = get(ts, "/list-sessions", ts_cookie)
    assert py_list.status_code == ts_list.status_code == 200, (py_list.text, ts_list.text)

    def by_token(sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(sessions, key=lambda s: s["token"])

    assert len(py_list.json()) == 2
    assert by_token(py_list.json()) == by_token(ts_list.json()), "list-sessions differs between the servers"
    # Python revokes the session TS issued
    ts_token = session_json(ts, ts_cookie)["session"]["token"]
    revoked = post(py, "/revoke-session", {"token": ts_token}, cookie=py_cookie)
    assert revoked.status_code == 200 and revoked.json() == {"status": True}, revoked.text
    assert session_json(ts, ts_cookie) is None
    # TS revokes all of them, Python's included
    ts_cookie = session_cookie(sign_in(ts, email))
    revoked = post(ts, "/revoke-sessions", cookie=ts_cookie)
    assert revoked.status_code == 200, revoked.text
    assert session_json(py, py_cookie) is None


def test_update_user_on_python_is_seen_by_ts(shared: tuple[Server, Server, str]) -> None:
    py, ts, _ = shared
    email = new_email("update")
    cookie = session_cookie(sign_up(ts, email))
    before = session_json(ts, cookie)["user"]
    response = post(py, "/update-user", {"name": "Renamed", "image": "https://example.com/r.png"}, cookie=cookie)
    assert response.status_code == 200 and response.json() == {"status": True}, response.text
    after_ts = session_json(ts, cookie)["user"]
    assert after_ts["name"] == "Renamed" and after_ts["image"] == "https://example.com/r.png"
    assert after_ts["createdAt"] == before["createdAt"]
    assert after_ts["updatedAt"] > before["updatedAt"]
    assert session_json(py, cookie)["user"] == after_ts
    # and back: TS clears the image, Python sees null
    response = post(ts, "/update-user", {"image": None}, cookie=cookie)
    assert response.status_code == 200, response.text
    assert session_json(py, cookie)["user"]["image"] is None


def test_remember_me_false_session_across_servers(shared: tuple[Server, Server, str]) -> None:
    py = shared[0]
    email = new_email("remember")
    sign_up(py, email)
    for issuer, other in both_ways(shared):
        response = sign_in(issuer, email, rememberMe=False)
        cookies = {c.split("=", 1)[0]: c for c in response.headers.get_list("set-cookie")}
        assert "better-auth.dont_remember" in cookies, (issuer.name, cookies)
        assert "Max-Age" not in cookies[SESSION_COOKIE], (issuer.name, cookies)
        cookie = session_cookie(response)
        dont_remember = cookies["better-auth.dont_remember"].split(";", 1)[0]
        body = session_json(other, f"{cookie}; {dont_remember}")
        assert body is not None, f"{other.name} rejects a rememberMe:false session from {issuer.name}"
        created = datetime.fromisoformat(body["session"]["createdAt"].replace("Z", "+00:00"))
        expires = datetime.fromisoformat(body["session"]["expiresAt"].replace("Z", "+00:00"))
        assert abs((expires - created) - timedelta(days=1)) < timedelta(seconds=5), (issuer.name, body["session"])


@pytest.mark.parametrize("direction", ["python->ts", "ts->python"])
def test_sliding_refresh_by_the_other_server(shared: tuple[Server, Server, str], direction: str) -> None:
    """A session last refreshed more than updateAge (1 day) ago is extended to 7 days by either server (§4)."""
    issuer, other = both_ways(shared)[0 if direction == "python->ts" else 1]
    database = shared[2]
    response = sign_up(issuer, new_email("refresh"))
    cookie, token = session_cookie(response), response.json()["token"]
    now = datetime.now(UTC)
    db_query(
        database,
        'update "session" set "expiresAt" = $1, "updatedAt" = $2 where token = $3',
        db_time(database, now + timedelta(days=5)),
        db_time(database, now - timedelta(days=2)),
        token,
    )
    refreshed = get(other, "/get-session", cookie)
    assert refreshed.status_code == 200 and refreshed.json() is not None, refreshed.text
    set_cookies = refreshed.headers.get_list("set-cookie")
    assert len(set_cookies) == 1 and set_cookies[0].startswith(f"{cookie}; Max-Age=604800;"), (
        f"{other.name} did not re-issue the session cookie on refresh: {set_cookies}"
    )
    expires = datetime.fromisoformat(refreshed.json()["session"]["expiresAt"].replace("Z", "+00:00"))
    assert abs(expires - (now + timedelta(days=7))) < timedelta(seconds=30), refreshed.json()["session"]
    row = db_query(database, 'select * from "session" where token = $1', token)[0]
    stored = (
        row["expiresAt"]
        if isinstance(row["expiresAt"], datetime)
        else datetime.fromisoformat(row["expiresAt"].replace("Z", "+00:00"))
    )
    assert abs(stored - expires) < timedelta(milliseconds=2), (row, refreshed.json()["session"])
    # the refreshed session is fresh for the issuer too, and not refreshed again
    again = get(issuer, "/get-session", cookie)
    assert again.json() == refreshed.json()
    assert again.headers.get_list("set-cookie") == []


@pytest.mark.parametrize("direction", ["python->ts", "ts->python"])
def test_expired_session_is_cleared_by_the_other_server(shared: tuple[Server, Server, str], direction: str) -> None:
    issuer, other = both_ways(shared)[0 if direction == "python->ts" else 1]
    database = shared[2]
    response = sign_up(issuer, new_email("expired"))
    cookie, token = session_cookie(response), response.json()["token"]
    past = datetime.now(UTC) - timedelta(minutes=1)
    db_query(database, 'update "session" set "expiresAt" = $1 where token = $2', db_time(database, past), token)
    expired = get(other, "/get-session", cookie)
    assert expired.status_code == 200 and expired.json() is None, expired.text
    assert sorted(expired.headers.get_list("set-cookie")) == [
        f"better-auth.{name}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"
        for name in ("dont_remember", "session_data", "session_token")
    ]
    assert db_query(database, 'select id from "session" where token = $1', token) == [], "expired row not deleted"
    assert get(issuer, "/get-session", cookie).json() is None


# ------------------------------------------------------------------------------------------- stored rows
def _rows(database: str, email: str) -> dict[str, dict[str, Any]]:
    user = db_query(database, 'select * from "user" where email = $1', email)
    assert len(user) == 1, user
    uid = user[0]["id"]
    account = db_query(database, 'select * from "account" where "userId" = $1', uid)
    session = db_query(database, 'select * from "session" where "userId" = $1', uid)
    assert len(account) == 1 and len(session) == 1, (account, session)
    return {"user": user[0], "account": account[0], "session": session[0]}


def _shape(value: Any) -> str:
    """A value's class as stored: type, and for datetimes tz-awareness and sub-millisecond digits."""
    if value is None:
        return "NULL"
    if isinstance(value, datetime):
        tz = "aware" if value.tzinfo is not None else "naive"
        precision = "ms" if value.microsecond % 1000 == 0 else "us"
        return f"datetime[{tz},{precision}]"
    if isinstance(value, str):
        if JS_ISO.match(value):
            return "str[JS toISOString date]"
        if ANY_ISO.match(value):
            return "str[other ISO-like date]"
        if ID32.match(value):
            return "str[id32]"
        if SCRYPT.match(value):
            return "str[scrypt]"
        return "str[empty]" if value == "" else "str"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"int[{value}]" if value in (0, 1) else "int"
    return type(value).__name__


def _as_datetime(value: Any) -> datetime:
    """A stored date: PostgreSQL gives datetimes, SQLite Better Auth's ISO text."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def test_rows_written_by_each_server_look_alike(shared: tuple[Server, Server, str]) -> None:
    py, ts, database = shared
    emails = {"py": new_email("rowpy"), "ts": new_email("rowts")}
    sign_up(py, emails["py"].upper())
    sign_up(ts, emails["ts"].upper())
    rows = {name: _rows(database, email) for name, email in emails.items()}
    differences = []
    for table in ("user", "account", "session"):
        py_row, ts_row = rows["py"][table], rows["ts"][table]
        assert set(py_row) == set(ts_row)
        for column in sorted(py_row):
            if _shape(py_row[column]) != _shape(ts_row[column]):
                differences.append(
                    f"{table}.{column}: python wrote {py_row[column]!r} ({_shape(py_row[column])}), "
                    f"better-auth wrote {ts_row[column]!r} ({_shape(ts_row[column])})"
                )
    assert not differences, "rows differ in kind:\n" + "\n".join(differences)
    for name, r in rows.items():
        user, account, session = r["user"], r["account"], r["session"]
        assert user["email"] == emails[name], name
        assert user["emailVerified"] in (False, 0) and user["image"] is None, name
        assert _close(user["createdAt"], user["updatedAt"]), name
        assert account["providerId"] == "credential" and account["accountId"] == user["id"], name
        assert SCRYPT.match(account["password"]), name
        assert len(session["token"]) == 32 and ID32.match(session["token"]), name
        assert session["ipAddress"] == "" and session["userAgent"] == UA, (name, session)
        lifetime = _as_datetime(session["expiresAt"]) - _as_datetime(session["createdAt"])
        # Better Auth reads the clock separately for expiresAt and createdAt, so its rows may be 1-2 ms short.
        assert timedelta(days=7) - timedelta(milliseconds=20) <= lifetime <= timedelta(days=7), (name, session)
        assert _close(session["createdAt"], session["updatedAt"]), (name, session)


# ------------------------------------------------------------------------------------------- schema
_COLUMNS_SQL = """
select table_name, column_name, data_type, is_nullable, column_default
from information_schema.columns where table_schema = 'public' order by table_name, column_name
"""
_CONSTRAINTS_SQL = """
select conrelid::regclass::text as table_name, contype, pg_get_constraintdef(oid) as definition
from pg_constraint where connamespace = 'public'::regnamespace order by 1, 2, 3
"""
_INDEXES_SQL = """
select tablename, indexname, indexdef from pg_indexes where schemaname = 'public' order by 1, 2
"""


def _pg_schema(dsn: str) -> dict[str, Any]:
    columns = [tuple(r.values()) for r in pg_query(dsn, _COLUMNS_SQL)]
    constraints = [tuple(r.values()) for r in pg_query(dsn, _CONSTRAINTS_SQL)]
    indexes = sorted(re.sub(r"INDEX \S+ ON", "INDEX <name> ON", r["indexdef"]) for r in pg_query(dsn, _INDEXES_SQL))
    index_names = sorted(r["indexname"] for r in pg_query(dsn, _INDEXES_SQL))
    tables = sorted({c[0] for c in columns} - {"alembic_version"})
    return {
        "tables": tables,
        "columns": [c for c in columns if c[0] != "alembic_version"],
        "constraints": [c for c in constraints if c[0] != "alembic_version"],
        "indexes": [i for i in indexes if "alembic_version" not in i],
        "index_names": [n for n in index_names if not n.startswith("alembic_version")],
    }


def _sqlite_schema(database: str) -> dict[str, Any]:
    tables = sorted(
        r["name"]
        for r in db_query(database, "select name from sqlite_master where type = 'table'")
        if not r["name"].startswith("sqlite_") and r["name"] != "alembic_version"
    )
    columns, foreign_keys, indexes, index_names = [], [], [], []
    for table in tables:
        for c in db_query(database, f'pragma table_info("{table}")'):
            columns.append((table, c["name"], c["type"].lower(), c["notnull"], c["dflt_value"], c["pk"]))
        for f in db_query(database, f'pragma foreign_key_list("{table}")'):
            foreign_keys.append((table, f["from"], f["table"], f["to"], f["on_delete"], f["on_update"]))
        for i in db_query(database, f'pragma index_list("{table}")'):
            cols = tuple(x["name"] for x in db_query(database, f'pragma index_info("{i["name"]}")'))
            indexes.append((table, cols, i["unique"], i["origin"]))
            if i["origin"] == "c":  # explicitly created (not an autoindex of a constraint)
                index_names.append(i["name"])
    return {
        "tables": tables,
        "columns": sorted(columns),
        "constraints": sorted(foreign_keys),
        "indexes": sorted(indexes),
        "index_names": sorted(index_names),
    }


def _close(a: Any, b: Any) -> bool:
    """Equal timestamps, allowing Better Auth's separate clock reads for one row (a few ms apart)."""
    return abs(_as_datetime(a) - _as_datetime(b)) <= timedelta(milliseconds=20)


def _schema(database: str) -> dict[str, Any]:
    return _sqlite_schema(database) if database.startswith("sqlite") else _pg_schema(database)


@pytest.fixture
def two_databases(database: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, str]:
    """Two fresh databases of the same kind."""
    if database.startswith("sqlite"):
        return database, f"sqlite:///{tmp_path}/second.db"
    return database, str(request.getfixturevalue("second_pg_dsn"))


@pytest.mark.parametrize("rate_limit_table", [False, True], ids=["core", "with-rateLimit"])
def test_python_schema_matches_better_auth_migrations(
    two_databases: tuple[str, str],
    start_py_server: Callable[..., Server],
    start_ts_server: Callable[..., Server],
    rate_limit_table: bool,
) -> None:
    # Core tables (and the rateLimit table of storage "database"); the plugin tables are checked elsewhere.
    plugins = ""
    for_python, for_ts = two_databases
    py_settings = {"rate_limit": {"storage": "database"}} if rate_limit_table else None
    ts_options = {"rateLimit": {"storage": "database"}} if rate_limit_table else None
    start_py_server(python_database_url(for_python), plugins=plugins, settings=py_settings)
    start_ts_server(for_ts, plugins=plugins, migrate=True, options=ts_options)
    python, better_auth = _schema(for_python), _schema(for_ts)
    assert python["tables"] == better_auth["tables"]
    problems = []
    for key in ("columns", "constraints", "indexes", "index_names"):
        only_py = sorted(set(python[key]) - set(better_auth[key]))
        only_ts = sorted(set(better_auth[key]) - set(python[key]))
        if only_py or only_ts:
            problems.append(f"{key}:\n  only in Python's schema: {only_py}\n  only in Better Auth's: {only_ts}")
    assert not problems, "schema differs from Better Auth's migrations:\n" + "\n".join(problems)


# ------------------------------------------------------------------------------------------- TS-made schema
def test_python_server_on_schema_made_by_better_auth(
    database: str,
    node: str,
    node_modules: Path,
    start_py_server: Callable[..., Server],
    start_ts_server: Callable[..., Server],
) -> None:
    ts = start_ts_server(database, migrate=True)
    tables_before = sorted(r["name"] for r in _table_names(database))
    py = start_py_server(python_database_url(database), create_schema=False)
    assert_flow(run_client_flow(node, py.url), py)
    # and the two still interoperate on that schema
    email = new_email("tsschema")
    cookie = session_cookie(sign_up(ts, email))
    assert session_json(py, cookie) == session_json(ts, cookie)
    py_cookie = session_cookie(sign_in(py, email))
    assert session_json(ts, py_cookie) is not None
    tables_after = sorted(r["name"] for r in _table_names(database))
    assert tables_after == tables_before, "the Python server changed the schema although SKIP_CREATE_SCHEMA=1"


def _table_names(database: str) -> list[dict[str, Any]]:
    if database.startswith("sqlite"):
        return db_query(database, "select name from sqlite_master where type in ('table', 'index')")
    return db_query(database, "select table_name as name from information_schema.tables where table_schema = 'public'")


# ------------------------------------------------------------------------------------------- cookie cache
@pytest.mark.parametrize("direction", ["python->ts", "ts->python"])
def test_session_data_cookie_from_one_server_is_trusted_by_the_other(
    database: str, start_py_server: Callable[..., Server], start_ts_server: Callable[..., Server], direction: str
) -> None:
    """session.cookieCache (compact): the signed session_data cookie one server writes is verified and used by
    the other (same secret); proven by deleting the session row, after which only the cache can answer."""
    py = start_py_server(python_database_url(database), settings={"session": {"cookie_cache": {"enabled": True}}})
    ts = start_ts_server(database, options={"session": {"cookieCache": {"enabled": True}}})
    issuer, other = (py, ts) if direction == "python->ts" else (ts, py)
    response = sign_up(issuer, new_email("cache"))
    jar = {}
    for raw in response.headers.get_list("set-cookie"):
        name, _, value = raw.split(";", 1)[0].partition("=")
        jar[name] = value
    assert "better-auth.session_data" in jar, response.headers.get_list("set-cookie")
    cookies = "; ".join(f"{k}={v}" for k, v in jar.items())
    expected = session_json(issuer, cookies)
    db_query(database, 'delete from "session" where token = $1', response.json()["token"])
    cached = get(other, "/get-session", cookies)
    assert cached.json() is not None, f"{other.name} did not accept {issuer.name}'s session_data cookie"
    assert cached.json() == expected
    # a tampered cache cookie is rejected (and the deleted row then means no session)
    name_value = jar["better-auth.session_data"]
    tampered = cookies.replace(name_value, name_value[:-3] + ("AAA" if not name_value.endswith("AAA") else "BBB"))
    assert get(other, "/get-session", tampered).json() is None


# ------------------------------------------------------------------------------------------- e-mail tokens
def _mails(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _location(response: httpx.Response, server: Server) -> str:
    return response.headers.get("location", "").replace(server.url, "<origin>")
