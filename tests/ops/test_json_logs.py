"""Opt-in JSON logs: request ids on every line, route templates not raw paths, and never a secret."""

import io
import json
import logging
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, FastAPI, Response
from hypothesis import given
from hypothesis import strategies as st

from fastapi_betterauth import (
    BetterAuth,
    MemoryAdapter,
    RequestLogMiddleware,
    bearer,
    configure_json_logging,
    current_request_id,
)
from fastapi_betterauth.logs import accept_request_id
from tests.conftest import BASE_URL, ORIGIN, FastTestHasher, make_settings

API = "/api/auth"
PASSWORD = "correct-horse-battery-staple-7Q"
GENERATED = re.compile(r"[0-9a-f]{32}")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """JSON logging switched on into a buffer for one test, and everything it changed put back."""
    root = logging.getLogger()
    level = root.level
    touched = {name: logging.getLogger(name) for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "httpx")}
    saved = {name: (list(lg.handlers), lg.propagate, lg.disabled, lg.level) for name, lg in touched.items()}
    buffer = io.StringIO()
    handler = configure_json_logging("INFO", stream=buffer)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        for name, (handlers, propagate, disabled, logger_level) in saved.items():
            touched[name].handlers[:] = handlers
            touched[name].propagate = propagate
            touched[name].disabled = disabled
            touched[name].setLevel(logger_level)


def records(buffer: io.StringIO) -> list[dict[str, Any]]:
    """Every line written so far, parsed: each must be one JSON object."""
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def access_lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [r for r in records(buffer) if r["logger"] == "fastapi_betterauth.access"]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """An app with the auth routes (bearer plugin), a route with a path parameter, and the middleware."""
    auth = BetterAuth(make_settings(), adapter=MemoryAdapter(), plugins=[bearer()], password_hasher=FastTestHasher())
    await auth.create_schema()
    app = FastAPI()
    app.include_router(auth.router)

    @app.get("/items/{item_id}")
    async def item(item_id: str) -> dict[str, str | None]:
        logging.getLogger("app").info("item read")
        return {"id": item_id, "request_id": current_request_id()}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    app.add_middleware(RequestLogMiddleware)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, headers=ORIGIN) as http:
            yield http


@pytest.mark.anyio
async def test_access_line_is_json_with_request_id_route_and_status(
    client: httpx.AsyncClient, json_logs: io.StringIO
) -> None:
    r = await client.get("/items/private-item-42?token=query-secret")
    assert r.status_code == 200
    request_id = r.headers["x-request-id"]
    assert GENERATED.fullmatch(request_id)
    assert r.json()["request_id"] == request_id  # the id is the request's context while it is served

    (line,) = access_lines(json_logs)
    assert line["request_id"] == request_id
    assert line["method"] == "GET"
    assert line["route"] == "/items/{item_id}"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["time"]
    (app_line,) = [x for x in records(json_logs) if x["logger"] == "app"]
    assert app_line["request_id"] == request_id  # any logger, during the request
    # The raw path (ids) and the query string (tokens) are in no field.
    assert "private-item-42" not in json_logs.getvalue()
    assert "query-secret" not in json_logs.getvalue()

    await client.get("/no/such/path")
    await client.get("/boom")
    missing, failed = access_lines(json_logs)[1:]
    assert (missing["route"], missing["status"]) == (None, 404)
    assert (failed["route"], failed["status"]) == ("/boom", 500)


@pytest.mark.anyio
async def test_a_safe_incoming_request_id_is_kept_and_an_unsafe_one_replaced(
    client: httpx.AsyncClient, json_logs: io.StringIO
) -> None:
    kept = await client.get("/items/1", headers={"X-Request-ID": "edge-7f3a.1_b"})
    assert kept.headers["x-request-id"] == "edge-7f3a.1_b"
    for unsafe in ("a" * 65, "has space", "<script>", "id;rm -rf", "-leading-dash", "caf\u00e9"):
        r = await client.get("/items/1", headers={"X-Request-ID": unsafe.encode("utf-8")})  # type: ignore[dict-item]
        assert GENERATED.fullmatch(r.headers["x-request-id"]), unsafe
    ids = [line["request_id"] for line in access_lines(json_logs)]
    assert ids[0] == "edge-7f3a.1_b"
    assert len(set(ids)) == len(ids)
    assert all(GENERATED.fullmatch(i) for i in ids[1:])


@pytest.mark.anyio
async def test_audit_events_carry_the_request_id_and_their_fields(
    client: httpx.AsyncClient, json_logs: io.StringIO
) -> None:
    up = await client.post(f"{API}/sign-up/email", json={"email": "a@example.com", "password": PASSWORD, "name": "A"})
    user_id = up.json()["user"]["id"]
    client.cookies.clear()
    inn = await client.post(
        f"{API}/sign-in/email",
        json={"email": "a@example.com", "password": PASSWORD},
        headers={"User-Agent": "tests/1.0"},
    )
    assert inn.status_code == 200
    (event,) = [r for r in records(json_logs) if r.get("auth_event", {}).get("type") == "sign_in"]
    assert event["logger"] == "fastapi_betterauth.audit"
    assert event["request_id"] == inn.headers["x-request-id"]
    fields = event["auth_event"]
    assert fields["subject_id"] == user_id and fields["actor_id"] == user_id
    assert fields["user_agent"] == "tests/1.0"
    assert {"id", "at", "ip_address", "reason"} <= fields.keys()
    (access,) = [r for r in access_lines(json_logs) if r["request_id"] == inn.headers["x-request-id"]]
    assert (access["route"], access["status"]) == (f"{API}/sign-in/email", 200)


@pytest.mark.anyio
async def test_no_password_token_cookie_or_query_reaches_the_output(
    client: httpx.AsyncClient, json_logs: io.StringIO
) -> None:
    up = await client.post(f"{API}/sign-up/email", json={"email": "b@example.com", "password": PASSWORD, "name": "B"})
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    client.cookies.clear()
    await client.post(f"{API}/sign-in/email", json={"email": "b@example.com", "password": "wrong-password-xyz"})
    inn = await client.post(f"{API}/sign-in/email", json={"email": "b@example.com", "password": PASSWORD})
    token = inn.headers["set-auth-token"]
    client.cookies.clear()
    session = await client.get(f"{API}/get-session", headers={"Authorization": f"Bearer {token}", "Cookie": cookie})
    assert session.json()["user"]["email"] == "b@example.com"
    reset = await client.get(f"{API}/reset-password/reset-token-abc123?callbackURL=http://localhost:3000/cb-xyz")
    assert reset.status_code in (302, 400)
    # Code that logs a secret by mistake: named fields are redacted, exception messages withheld.
    logger = logging.getLogger("app")
    logger.info("headers", extra={"headers": {"authorization": f"Bearer {token}"}, "password": PASSWORD})
    try:
        raise ValueError(f"duplicate key (token)=({token})")
    except ValueError:
        logger.exception("insert failed")

    output = json_logs.getvalue()
    records(json_logs)  # still one JSON object per line
    secrets = [PASSWORD, "wrong-password-xyz", token, up.json()["token"], "reset-token-abc123", "cb-xyz"]
    secrets += [value for value in client.cookies.values()] + [cookie.split("=", 1)[1]]
    for secret in secrets:
        assert secret not in output
    assert f"{API}/reset-password/{{token}}" in [line["route"] for line in access_lines(json_logs)]
    mistakes = [r for r in records(json_logs) if r["logger"] == "app"]
    assert mistakes[0]["headers"] == {"authorization": "[redacted]"} and mistakes[0]["password"] == "[redacted]"
    assert "ValueError (message withheld" in mistakes[1]["exc_info"]


def test_uvicorn_logs_go_through_json_and_raw_url_logs_are_off(json_logs: io.StringIO) -> None:
    logging.getLogger("uvicorn.error").warning("Started server process")  # WARNING: whatever --log-level set
    logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET /reset-password/tok?x=1 HTTP/1.1" 200')
    logging.getLogger("httpx").info('HTTP Request: POST https://provider.example/token?code=abc "HTTP/1.1 200 OK"')
    (line,) = records(json_logs)
    assert (line["logger"], line["message"]) == ("uvicorn.error", "Started server process")


def test_configuring_twice_keeps_one_handler(json_logs: io.StringIO) -> None:
    root = logging.getLogger()
    again = configure_json_logging(stream=json_logs)
    try:
        assert [h for h in root.handlers if type(h) is type(again)] == [again]
    finally:
        root.removeHandler(again)


def test_missing_python_json_logger_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "fastapi_betterauth._json_formatter", raising=False)
    monkeypatch.setitem(sys.modules, "pythonjsonlogger.json", None)
    handlers = list(logging.getLogger().handlers)
    with pytest.raises(ImportError, match=re.escape("fastapi-betterauth-server[json-logs]")):
        configure_json_logging()
    assert logging.getLogger().handlers == handlers


def test_default_logging_is_untouched() -> None:
    """Importing the library and building the examples configures nothing; only the opt-in call does."""
    script = """
import logging, sys
root = logging.getLogger()
before = (list(root.handlers), root.level, logging.getLogger("uvicorn.access").disabled)
import fastapi_betterauth, examples.todo.app.main, examples.rag_chat.app.main
after = (list(root.handlers), root.level, logging.getLogger("uvicorn.access").disabled)
assert before == after == ([], logging.WARNING, False), (before, after)
assert "pythonjsonlogger" not in sys.modules
fastapi_betterauth.configure_json_logging()
assert root.level == logging.INFO and len(root.handlers) == 1, root.handlers
"""
    env = {"PATH": "/usr/bin:/bin", "BETTER_AUTH_DEV_SECRET_FILE": "/dev/null/never", "BETTER_AUTH_ENV": "test"}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@given(st.one_of(st.binary(max_size=80), st.from_regex(SAFE, fullmatch=True).map(str.encode)))
def test_request_id_acceptance_rule(raw: bytes) -> None:
    """Kept as is iff it is a 1-64 character token of letters, digits, '.', '_', '-' (not leading with those
    three); otherwise replaced by a fresh 32-hex id. Either way the echoed value is safe in a header."""
    ok = len(raw) <= 64 and all(chr(b).isascii() and (chr(b).isalnum() or chr(b) in "._-") for b in raw)
    ok = ok and len(raw) >= 1 and chr(raw[0]).isalnum()
    assert accept_request_id(raw) == (raw.decode() if ok else None)

    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"x-request-id", raw)]}
    anyio.run(RequestLogMiddleware(app), scope, receive, send)
    echoed = dict(sent[0]["headers"])[b"x-request-id"].decode("ascii")
    assert echoed == raw.decode() if ok else GENERATED.fullmatch(echoed)
    assert SAFE.fullmatch(echoed)


@pytest.mark.anyio
async def test_route_templates_include_router_prefixes_and_mounts(json_logs: io.StringIO) -> None:
    inner = APIRouter(prefix="/inner")

    @inner.get("/items/{item_id}")
    async def item(item_id: str) -> dict[str, str]:
        return {}

    outer = APIRouter(prefix="/o")
    outer.include_router(inner, prefix="/v2")
    sub = FastAPI()
    sub.include_router(inner, prefix="/s")
    users = FastAPI()
    users.include_router(inner)
    app = FastAPI()
    app.include_router(inner, prefix="/v1")
    app.include_router(outer)
    app.mount("/sub", sub)
    app.mount("/users/{user_id}", users)
    app.add_middleware(RequestLogMiddleware)
    transport = httpx.ASGITransport(app=app, root_path="/proxy")
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        for path in ("/v1/inner/items/a1", "/o/v2/inner/items/a2", "/sub/s/inner/items/a3", "/users/u9/inner/items/a4"):
            assert (await http.get(f"/proxy{path}")).status_code == 200, path
    assert [line["route"] for line in access_lines(json_logs)] == [
        "/v1/inner/items/{item_id}",
        "/o/v2/inner/items/{item_id}",
        "/sub/s/inner/items/{item_id}",
        "/inner/items/{item_id}",  # a mount's own parameters are left out rather than logged raw
    ]
    assert "u9" not in json_logs.getvalue()


@pytest.mark.anyio
async def test_an_id_the_app_sets_itself_is_not_doubled(json_logs: io.StringIO) -> None:
    app = FastAPI()

    @app.get("/own")
    async def own(response: Response) -> dict[str, str]:
        response.headers["X-Request-ID"] = "from-the-app"
        return {}

    app.add_middleware(RequestLogMiddleware)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
        r = await http.get("/own")
    assert r.headers.get_list("x-request-id") == ["from-the-app"]
