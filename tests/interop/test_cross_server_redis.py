"""One PostgreSQL database and one Redis shared by the real Better Auth 1.7.24 server and the Python server.

Better Auth's own migrations make the schema (with ``secondaryStorage`` it has no ``session`` table: sessions
live in Redis only); the TypeScript server uses the official ``@better-auth/redis-storage`` and Python its
``RedisStorage`` with the same key prefix. Sessions, sign-outs, revocations, cached users, reset tokens and
rate-limit counters made by either are seen by the other. The last test shares rate-limit counters through
the database instead (``rateLimit`` table, ``storage: "database"``).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests._services import REDIS_URL, unavailable

from .conftest import ORIGIN, Server, db_query, python_database_url

pytestmark = [pytest.mark.interop, pytest.mark.postgres, pytest.mark.redis]
SESSION_COOKIE = "better-auth.session_token"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A fresh key prefix in the test Redis; its keys are deleted afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable(f"Redis not reachable at {REDIS_URL}: {exc}")
    prefix = f"xs-{secrets.token_hex(4)}:"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
        client.close()


def redis_get(key: str) -> str | None:
    import redis

    with redis.Redis.from_url(REDIS_URL, decode_responses=True) as client:
        value = client.get(key)
        return None if value is None else str(value)


def call(
    server: Server, method: str, path: str, body: Any = None, cookie: str | None = None, **headers: str
) -> httpx.Response:
    sent = {"Origin": ORIGIN, **headers}
    if cookie:
        sent["Cookie"] = cookie
    return httpx.request(
        method, f"{server.url}/api/auth{path}", json=body if method == "POST" else None, headers=sent, timeout=30
    )


def session_cookie(response: httpx.Response) -> str:
    for raw in response.headers.get_list("set-cookie"):
        name, _, rest = raw.partition("=")
        if name == SESSION_COOKIE and rest.split(";", 1)[0]:
            return f"{SESSION_COOKIE}={rest.split(';', 1)[0]}"
    raise AssertionError(f"no session cookie in {response.headers.get_list('set-cookie')}")


def sign_up(server: Server, email: str) -> tuple[str, dict[str, Any]]:
    r = call(server, "POST", "/sign-up/email", {"email": email, "password": PASSWORD, "name": "Alice"})
    assert r.status_code == 200, r.text
    return session_cookie(r), r.json()


def sign_in(server: Server, email: str) -> str:
    r = call(server, "POST", "/sign-in/email", {"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return session_cookie(r)


def session(server: Server, cookie: str) -> Any:
    r = call(server, "GET", "/get-session?disableCookieCache=true", cookie=cookie)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def pair(
    pg_dsn: str, redis_prefix: str, start_ts_server: Any, start_py_server: Any, tmp_path: Path
) -> tuple[Server, Server, Path]:
    mail = tmp_path / "mail.jsonl"
    ts = start_ts_server(pg_dsn, migrate=True, redis_prefix=redis_prefix, mail_log=mail)
    py = start_py_server(python_database_url(pg_dsn), create_schema=False, redis_prefix=redis_prefix, mail_log=mail)
    return ts, py, mail


def test_the_schema_has_no_session_table_and_sessions_live_in_redis(pair: Any, pg_dsn: str, redis_prefix: str) -> None:
    ts, py, _ = pair
    tables = {
        r["table_name"]
        for r in db_query(pg_dsn, "select table_name from information_schema.tables where table_schema = 'public'")
    }
    assert "session" not in tables and {"user", "account"} <= tables
    _, made_by_py = sign_up(py, "py@example.com")
    _, made_by_ts = sign_up(ts, "ts@example.com")
    for made in (made_by_py, made_by_ts):
        entry = json.loads(redis_get(redis_prefix + made["token"]) or "null")
        assert entry["session"]["userId"] == made["user"]["id"]
        refs = json.loads(redis_get(f"{redis_prefix}active-sessions-{made['user']['id']}") or "[]")
        assert [r["token"] for r in refs] == [made["token"]]


@pytest.mark.parametrize("issuer", ["ts", "py"])
def test_a_session_from_either_server_is_valid_on_the_other(pair: Any, issuer: str) -> None:
    ts, py, _ = pair
    first, other = (ts, py) if issuer == "ts" else (py, ts)
    cookie, made = sign_up(first, f"{issuer}@example.com")
    on_other = session(other, cookie)
    assert on_other["session"]["token"] == made["token"]
    assert on_other["user"]["email"] == f"{issuer}@example.com"
    assert on_other == session(first, cookie)  # the same JSON from both
    listed = call(other, "GET", "/list-sessions", cookie=cookie).json()
    assert [s["token"] for s in listed] == [made["token"]]


@pytest.mark.parametrize("issuer", ["ts", "py"])
def test_sign_out_on_one_server_ends_the_session_on_the_other(pair: Any, issuer: str) -> None:
    ts, py, _ = pair
    first, other = (ts, py) if issuer == "ts" else (py, ts)
    cookie, _ = sign_up(first, f"{issuer}@example.com")
    assert call(other, "POST", "/sign-out", {}, cookie=cookie).json() == {"success": True}
    assert session(first, cookie) is None
    assert session(other, cookie) is None


@pytest.mark.parametrize("revoker", ["ts", "py"])
def test_revoke_sessions_on_one_server_is_seen_by_the_other(pair: Any, revoker: str) -> None:
    ts, py, _ = pair
    first, other = (ts, py) if revoker == "ts" else (py, ts)
    cookie_a, _ = sign_up(other, "alice@example.com")
    cookie_b = sign_in(other, "alice@example.com")
    assert call(first, "POST", "/revoke-sessions", {}, cookie=cookie_a).json() == {"status": True}
    assert session(other, cookie_a) is None and session(other, cookie_b) is None
    assert session(first, cookie_b) is None
    fresh = sign_in(first, "alice@example.com")  # created after the watermark: valid everywhere
    assert session(other, fresh) is not None


@pytest.mark.parametrize("writer", ["ts", "py"])
def test_a_user_update_reaches_the_cached_user_on_the_other_server(pair: Any, writer: str) -> None:
    ts, py, _ = pair
    first, other = (ts, py) if writer == "ts" else (py, ts)
    cookie, _ = sign_up(other, "alice@example.com")
    second = sign_in(other, "alice@example.com")
    assert call(first, "POST", "/update-user", {"name": "Alice B."}, cookie=cookie).json() == {"status": True}
    assert session(other, second)["user"]["name"] == "Alice B."


def test_a_reset_token_from_one_server_works_once_on_the_other(pair: Any, redis_prefix: str) -> None:
    ts, py, mail = pair
    sign_up(ts, "alice@example.com")
    assert (
        call(ts, "POST", "/request-password-reset", {"email": "alice@example.com", "redirectTo": "/"}).status_code
        == 200
    )
    token = [json.loads(line) for line in mail.read_text().splitlines()][-1]["token"]
    assert redis_get(f"{redis_prefix}verification:reset-password:{token}") is not None
    body = {"token": token, "newPassword": "a brand new password"}
    assert call(py, "POST", "/reset-password", body).json() == {"status": True}
    assert call(ts, "POST", "/reset-password", body).status_code == 400  # spent
    r = call(ts, "POST", "/sign-in/email", {"email": "alice@example.com", "password": "a brand new password"})
    assert r.status_code == 200


def test_rate_limit_counters_are_shared_through_redis(
    pg_dsn: str, redis_prefix: str, start_ts_server: Any, start_py_server: Any
) -> None:
    ts = start_ts_server(pg_dsn, migrate=True, redis_prefix=redis_prefix, options={"rateLimit": {"enabled": True}})
    py = start_py_server(
        python_database_url(pg_dsn),
        create_schema=False,
        redis_prefix=redis_prefix,
        settings={"rate_limit": {"enabled": True}},
    )
    wrong = {"email": "nobody@example.com", "password": "wrong password"}
    # Better Auth keys on X-Forwarded-For; Python on the TCP peer (no trusted proxies): both 127.0.0.1 here
    as_peer = {"X-Forwarded-For": "127.0.0.1"}
    statuses = [
        call(ts, "POST", "/sign-in/email", wrong, **as_peer).status_code,
        call(py, "POST", "/sign-in/email", wrong).status_code,
        call(ts, "POST", "/sign-in/email", wrong, **as_peer).status_code,
        call(py, "POST", "/sign-in/email", wrong).status_code,
        call(ts, "POST", "/sign-in/email", wrong, **as_peer).status_code,
    ]
    assert statuses == [401, 401, 401, 429, 429]
    assert int(redis_get(f"{redis_prefix}127.0.0.1|/sign-in/email") or 0) == 5


def test_rate_limit_counters_are_shared_through_the_database(
    pg_dsn: str, start_ts_server: Any, start_py_server: Any
) -> None:
    ts = start_ts_server(pg_dsn, migrate=True, options={"rateLimit": {"enabled": True, "storage": "database"}})
    py = start_py_server(
        python_database_url(pg_dsn),
        create_schema=False,
        settings={
            "rate_limit": {"enabled": True, "storage": "database"},
            "advanced": {"trusted_proxies": ["127.0.0.1"]},
        },
    )
    wrong = {"email": "nobody@example.com", "password": "wrong password"}
    client = {"X-Forwarded-For": "203.0.113.7"}  # through a trusted proxy, Python reads the same client as Better Auth
    statuses = [
        call(py, "POST", "/sign-in/email", wrong, **client).status_code,
        call(ts, "POST", "/sign-in/email", wrong, **client).status_code,
        call(py, "POST", "/sign-in/email", wrong, **client).status_code,
        call(ts, "POST", "/sign-in/email", wrong, **client).status_code,
        call(py, "POST", "/sign-in/email", wrong, **client).status_code,
    ]
    assert statuses == [401, 401, 401, 429, 429]
    rows = db_query(pg_dsn, 'select "key", "count" from "rateLimit" where "key" like $1', "%/sign-in/email")
    assert rows == [{"key": "203.0.113.7|/sign-in/email", "count": 3}]


def test_a_resource_server_reads_the_issuers_sessions_from_redis(pair: Any, pg_dsn: str, redis_prefix: str) -> None:
    import asyncio

    from fastapi_betterauth import SessionVerifier
    from fastapi_betterauth.storage import RedisStorage
    from tests._services import asyncpg_url

    from .conftest import SECRET

    ts, _, _ = pair
    cookie, made = sign_up(ts, "rs@example.com")

    async def lookup() -> Any:
        verifier = SessionVerifier(
            database=asyncpg_url(pg_dsn),
            secret=SECRET,
            secondary_storage=RedisStorage(REDIS_URL, key_prefix=redis_prefix),
        )
        try:
            return await verifier.lookup({"cookie": cookie})
        finally:
            await verifier.close()

    found = asyncio.run(lookup())
    assert found is not None
    session_row, user_row, via = found
    assert (session_row["token"], user_row["email"], via) == (made["token"], "rs@example.com", "cookie")
    assert call(ts, "POST", "/sign-out", {}, cookie=cookie).json() == {"success": True}
    assert asyncio.run(lookup()) is None
