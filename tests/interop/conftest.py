"""Harness for the interop suites: the real Better Auth 1.7.24 server (ts_server.mjs), the official JS client
(client_flow.mjs) and the Python server under test (pyserver.py), each a subprocess on a free loopback port.

Everything here is synchronous (subprocesses + httpx); PostgreSQL databases are made with tests/_services.py.
Locally the tests skip without node/npm/PostgreSQL; with FASTAPI_BETTERAUTH_REQUIRE_SERVICES=1 (CI) they fail.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests._services import (
    INTEROP_DIR,
    REDIS_URL,
    asyncpg_url,
    create_postgres_database,
    drop_postgres_database,
    free_port,
    install_node_modules,
    require_node,
    unavailable,
)

if TYPE_CHECKING:
    from tests.social.conftest import MockIdP

REPO_ROOT = INTEROP_DIR.parent.parent
SECRET = "interop-secret-0123456789abcdef0123456789abcdef"
ORIGIN = "http://localhost:3000"
READY_TIMEOUT = 60.0
FLOW_TIMEOUT = 180.0

# Environment variables that would change either server's behaviour behind the tests' back.
_SCRUB = (
    "NODE_ENV",
    "TEST",
    "BETTER_AUTH_SECRET",
    "BETTER_AUTH_SECRETS",
    "AUTH_SECRET",
    "AUTH_OPTIONS_JSON",
    "AUTH_SETTINGS_JSON",
    "TS_NODE_ENV",
    "MAIL_LOG",
    "BETTER_AUTH_URL",
    "BETTER_AUTH_BASE_URL",
    "BETTER_AUTH_TRUSTED_ORIGINS",
    "BETTER_AUTH_ENV",
    "DATABASE_URL",
    "PLUGINS",
    "MIGRATE",
    "SKIP_CREATE_SCHEMA",
    "REDIS_URL",
    "REDIS_PREFIX",
    "OIDC_DISCOVERY_URL",
    "OIDC_PROVIDER_ID",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "OIDC_SCOPES",
)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a server: no inherited Better Auth settings, except where to keep a dev secret."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _SCRUB and (not k.startswith("BETTER_AUTH_") or k == "BETTER_AUTH_DEV_SECRET_FILE")
    }
    env.update(extra)
    return env


@dataclass(frozen=True)
class OidcProvider:
    """A generic OpenID Connect provider for a server: the ``OIDC_*`` variables of pyserver.py and ts_server.mjs
    (Python ``generic_oauth([oidc(...)])``, Better Auth ``genericOAuth({config: [...]})``)."""

    discovery_url: str
    client_id: str = "local-client"
    client_secret: str | None = "local-client-secret"
    scopes: tuple[str, ...] = ("email", "profile")
    provider_id: str = "local"

    def env(self) -> dict[str, str]:
        env = {
            "OIDC_DISCOVERY_URL": self.discovery_url,
            "OIDC_PROVIDER_ID": self.provider_id,
            "OIDC_CLIENT_ID": self.client_id,
            "OIDC_SCOPES": ",".join(self.scopes),
        }
        if self.client_secret:
            env["OIDC_CLIENT_SECRET"] = self.client_secret
        return env


@dataclass
class Server:
    """A server subprocess; ``url`` is its origin (``http://127.0.0.1:N``)."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(repr=False)

    def logs(self, limit: int = 6000) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return text[-limit:]

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.logs()}")
            try:
                response = httpx.get(f"{self.url}/api/auth/ok", timeout=2.0)
                if response.status_code == 200:
                    return
            except httpx.HTTPError as exc:
                last_error = exc
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout}s ({last_error}):\n{self.logs()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def node() -> str:
    return require_node()


@pytest.fixture(scope="session")
def node_modules(node: str) -> Path:
    """tests/interop/node_modules, installed with ``npm ci`` from the lockfile when missing."""
    target = install_node_modules(["better-auth"])
    version = json.loads((target / "better-auth" / "package.json").read_text())["version"]
    assert version == "1.7.24", f"tests/interop/node_modules has better-auth {version}, expected 1.7.24"
    return target


@pytest.fixture(scope="session")
def _interop_mock_idp(node: str, node_modules: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockIdP]:
    # The process starter of tests/social (idp_mock.mjs, oauth2-mock-server): imported, not duplicated, so both
    # suites drive the same provider through the same MockIdP API.
    from tests.social.conftest import MockIdP, _start_node_idp

    idp = _start_node_idp(MockIdP, "mock-idp", "idp_mock.mjs", tmp_path_factory.mktemp("interop-mock-idp"))
    assert isinstance(idp, MockIdP)
    try:
        yield idp
    finally:
        idp.stop()


@pytest.fixture
def mock_idp(_interop_mock_idp: MockIdP) -> MockIdP:
    """The generic OIDC provider of tests/social (``idp_mock.mjs``, issuer ``http://127.0.0.1:N``; one process per
    session), reset for this test: default profile, no failures, empty request log."""
    _interop_mock_idp.reset()
    return _interop_mock_idp


@pytest.fixture
def oidc_provider(mock_idp: MockIdP) -> OidcProvider:
    """The ``local`` provider on ``mock_idp``, as both servers are configured with it (``oidc=`` of the starters)."""
    return OidcProvider(discovery_url=mock_idp.discovery_url)


@pytest.fixture
def pg_dsn() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (plain ``postgresql://`` DSN), dropped afterwards."""
    dsn = asyncio.run(create_postgres_database())
    try:
        yield dsn
    finally:
        asyncio.run(drop_postgres_database(dsn))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database for servers to share: ``sqlite:///<tmp>/shared.db`` or a new PostgreSQL database's DSN."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/shared.db"
    return str(request.getfixturevalue("pg_dsn"))


def pg_query(dsn: str, sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run one query on a database; rows as dicts."""
    import asyncpg

    async def run() -> list[dict[str, Any]]:
        conn = await asyncpg.connect(dsn, timeout=10)
        try:
            return [dict(r) for r in await conn.fetch(sql, *args)]
        finally:
            await conn.close()

    return asyncio.run(run())


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    """Every server started in a test; all are stopped at teardown."""
    started: list[Server] = []
    yield started
    for server in reversed(started):
        server.stop()


def _start(
    servers: list[Server], name: str, args: list[str], env: dict[str, str], log_dir: Path, port: int, cwd: Path
) -> Server:
    log_path = log_dir / f"{name}-{port}.log"
    log = log_path.open("wb")
    try:
        process = subprocess.Popen(
            args, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    finally:
        log.close()
    server = Server(name=name, url=f"http://127.0.0.1:{port}", process=process, log_path=log_path, env=env)
    servers.append(server)
    server.wait_ready()
    return server


@pytest.fixture
def start_ts_server(node: str, node_modules: Path, servers: list[Server], tmp_path: Path) -> Callable[..., Server]:
    """``start_ts_server(database, plugins="", migrate=False, secret=SECRET, options=None, redis_prefix=None)``: the
    real Better Auth server; ``options`` are extra ``betterAuth`` options; ``redis_prefix``: secondary storage in the
    test Redis under that key prefix (``@better-auth/redis-storage``); ``oidc``: a ``genericOAuth`` provider;
    ``base_url``: its ``baseURL`` (default its own ``http://127.0.0.1:<port>``).

    ``database``: a ``postgresql://`` DSN or ``sqlite:///<path>``.
    """

    def start(
        dsn: str,
        *,
        plugins: str = "",
        migrate: bool = False,
        secret: str = SECRET,
        options: Any = None,
        node_env: str | None = None,
        mail_log: Path | None = None,
        redis_prefix: str | None = None,
        oidc: OidcProvider | None = None,
        base_url: str | None = None,
    ) -> Server:
        if dsn.startswith("sqlite"):
            require_better_sqlite3(node_modules)
            dsn = "sqlite:///" + dsn.split(":///", 1)[1]
        port = free_port()
        env = clean_env(
            PORT=str(port),
            DATABASE_URL=dsn,
            BETTER_AUTH_SECRET=secret,
            BETTER_AUTH_URL=base_url or f"http://127.0.0.1:{port}",
            PLUGINS=plugins,
        )
        if oidc is not None:
            env.update(oidc.env())
        if migrate:
            env["MIGRATE"] = "1"
        if options:
            env["AUTH_OPTIONS_JSON"] = json.dumps(options)
        if node_env:
            env["TS_NODE_ENV"] = node_env
        if mail_log is not None:
            env["MAIL_LOG"] = str(mail_log)
        if redis_prefix is not None:
            env.update(REDIS_URL=REDIS_URL, REDIS_PREFIX=redis_prefix)
        return _start(servers, "ts", [node, "ts_server.mjs"], env, tmp_path, port, INTEROP_DIR)

    return start


@pytest.fixture
def start_py_server(servers: list[Server], tmp_path: Path) -> Callable[..., Server]:
    """``start_py_server(database_url, plugins="", create_schema=True, secret=SECRET, settings=None, mail_log=None)``:
    pyserver.py under uvicorn; ``settings`` are extra ``AuthSettings`` fields; ``mail_log`` an outbox file;
    ``oidc``: a ``generic_oauth`` provider; ``base_url``: its base URL (default its own ``http://127.0.0.1:<port>``)."""

    def start(
        database_url: str,
        *,
        plugins: str = "",
        create_schema: bool = True,
        secret: str = SECRET,
        settings: Any = None,
        mail_log: Path | None = None,
        redis_prefix: str | None = None,
        oidc: OidcProvider | None = None,
        base_url: str | None = None,
    ) -> Server:
        try:
            import fastapi_betterauth

            fastapi_betterauth.BetterAuth  # noqa: B018
        except (ImportError, AttributeError) as exc:  # pragma: no cover - depends on the checkout
            pytest.fail(f"fastapi_betterauth is not importable: {exc}")
        port = free_port()
        env = clean_env(
            DATABASE_URL=database_url,
            BETTER_AUTH_SECRET=secret,
            BETTER_AUTH_URL=base_url or f"http://127.0.0.1:{port}",
            PLUGINS=plugins,
        )
        if oidc is not None:
            env.update(oidc.env())
        if not create_schema:
            env["SKIP_CREATE_SCHEMA"] = "1"
        if settings:
            env["AUTH_SETTINGS_JSON"] = json.dumps(settings)
        if mail_log is not None:
            env["MAIL_LOG"] = str(mail_log)
        if redis_prefix is not None:
            env.update(REDIS_URL=REDIS_URL, REDIS_PREFIX=redis_prefix)
        args = [
            sys.executable,
            "-m",
            "uvicorn",
            "tests.interop.pyserver:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]
        return _start(servers, "py", args, env, tmp_path, port, REPO_ROOT)

    return start


@pytest.fixture
def start_example(servers: list[Server], tmp_path: Path) -> Callable[[str, str], Server]:
    """``start_example(example, database_url)``: the example's app under uvicorn, ``ORIGIN`` trusted."""

    def start(example: str, database_url: str) -> Server:
        port = free_port()
        env = clean_env(
            DATABASE_URL=database_url,
            BETTER_AUTH_SECRET=SECRET,
            BETTER_AUTH_URL=f"http://127.0.0.1:{port}",
            BETTER_AUTH_TRUSTED_ORIGINS=ORIGIN,
        )
        app = f"examples.{example}.app.main:app"
        args = [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]
        return _start(servers, example, args, env, tmp_path, port, REPO_ROOT)

    return start


@dataclass
class FlowResult:
    """What client_flow.mjs printed: one dict per step."""

    returncode: int
    steps: list[dict[str, Any]]
    stderr: str

    def by_name(self) -> dict[str, dict[str, Any]]:
        return {s["step"]: s for s in self.steps}


def run_node_script(node: str, script: str, *args: str, **env: str) -> FlowResult:
    """Run a flow script (client_flow.mjs, plugin_flow.mjs) from tests/interop; parse its JSON lines."""
    try:
        result = subprocess.run(
            [node, script, *args],
            cwd=INTEROP_DIR,
            env=clean_env(**env),
            capture_output=True,
            text=True,
            timeout=FLOW_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{script} timed out after {FLOW_TIMEOUT}s; output so far:\n{exc.stdout}\n{exc.stderr}")
    steps = []
    for line in result.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            steps.append(json.loads(line))
    return FlowResult(returncode=result.returncode, steps=steps, stderr=result.stderr)


def run_client_flow(node: str, base_url: str) -> FlowResult:
    """The official-client core flow (client_flow.mjs) against a server origin."""
    return run_node_script(node, "client_flow.mjs", base_url)


def run_plugin_flow(node: str, base_url: str, admin_email: str, admin_password: str) -> FlowResult:
    """The official client with bearer/jwt/admin (plugin_flow.mjs); the admin account must already exist."""
    return run_node_script(node, "plugin_flow.mjs", base_url, ADMIN_EMAIL=admin_email, ADMIN_PASSWORD=admin_password)


def verify_jwt(node: str, jwks: Any, token: str, issuer: str) -> dict[str, Any]:
    """Verify a JWT against a JWKS with jose (verify_jwt.mjs).

    Returns ``{"ok": True, "header", "payload"}`` or ``{"ok": False, "error"}``.
    """
    result = subprocess.run(
        [node, "verify_jwt.mjs"],
        cwd=INTEROP_DIR,
        env=clean_env(),
        input=json.dumps({"jwks": jwks, "token": token, "issuer": issuer, "audience": issuer}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def db_query(database: str, sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run one query on a test database: a ``postgresql://`` DSN, or a SQLite file as ``sqlite:///<path>`` (or
    ``sqlite+aiosqlite:///<path>``). Placeholders are written ``$1``, ``$2`` for both."""
    if database.startswith("sqlite"):
        import sqlite3

        path = database.split(":///", 1)[1]
        conn = sqlite3.connect(path, timeout=10)
        conn.row_factory = sqlite3.Row
        try:
            with conn:
                cursor = conn.execute(re.sub(r"\$\d+", "?", sql), args)
                return [dict(r) for r in cursor.fetchall()]
        finally:
            conn.close()
    return pg_query(database, sql, *args)


def db_time(database: str, value: datetime) -> Any:
    """A timestamp as each backend stores it: timestamptz, or Better Auth's ISO text on SQLite."""
    if database.startswith("sqlite"):
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return value


def set_user_role(database: str, email: str, role: str) -> None:
    """Give a user a role directly in the database (``role`` is input:false over HTTP)."""
    rows = db_query(database, 'update "user" set role = $1 where email = $2 returning id', role, email)
    assert len(rows) == 1, f"no user {email} in {database}"


def python_database_url(database: str) -> str:
    """SQLAlchemy URL for the Python server."""
    if database.startswith("sqlite:///"):
        return database.replace("sqlite:///", "sqlite+aiosqlite:///", 1)
    if database.startswith("sqlite+aiosqlite:///"):
        return database
    return asyncpg_url(database)


def require_better_sqlite3(node_modules: Path) -> None:
    """The TS server on SQLite needs the optional dependency better-sqlite3 (a native build)."""
    if not (node_modules / "better-sqlite3" / "build" / "Release" / "better_sqlite3.node").exists():
        unavailable("better-sqlite3 (optional npm dependency, native build) is not installed in tests/interop")


def pg_url_for_python(dsn: str) -> str:
    return asyncpg_url(dsn)


PLUGIN_STEPS = [
    "admin sign-in (bearer header, admin fields)",
    "get-session carries set-auth-jwt",
    "jwks",
    "token verifies against jwks",
    "bearer sign-up",
    "bearer get-session (signed and raw token)",
    "bearer update-user without Origin",
    "non-admin is refused",
    "admin endpoints without a session",
    "admin list-users",
    "admin create-user, set-role, get-user, update-user",
    "admin ban-user ends sessions and blocks sign-in",
    "admin unban-user",
    "admin list-user-sessions",
    "admin impersonate-user",
    "admin stop-impersonating",
    "admin revoke-user-sessions and set-user-password",
    "admin has-permission",
    "admin remove-user",
    "admin sign-out",
]

EXPECTED_STEPS = [
    "sign-up",
    "get-session after sign-up",
    "sign-out",
    "get-session after sign-out",
    "sign-in",
    "get-session after sign-in",
    "sign-in rememberMe:false (second session)",
    "get-session rememberMe:false",
    "sign-in third session",
    "list-sessions",
    "revoke-session (other device)",
    "revoke-session unknown token",
    "list-sessions after revoke",
    "revoke-other-sessions",
    "sign-in with upper-case e-mail (fourth device)",
    "revoke-sessions",
    "sign-in again",
    "update-user",
    "get-session shows updated user",
    "update-user with email is rejected",
    "sign-in wrong password",
    "sign-in unknown e-mail",
    "duplicate sign-up",
    "sign-up password too short",
    "sign-out at the end",
    "get-session null at the end",
    "list-sessions without a session",
]


def wire_mismatches(flow: FlowResult) -> list[str]:
    return [f"[{s['step']}] {w}" for s in flow.steps for w in s.get("wire") or []]


def assert_flow(flow: FlowResult, server: Server, expected_steps: list[str] | None = None) -> None:
    """Every expected step ran and passed, in order (the message names the first failing step); then no wire
    deviation. A failing step's message also lists the wire deviations seen up to it."""
    expected_steps = EXPECTED_STEPS if expected_steps is None else expected_steps
    names = [s["step"] for s in flow.steps]
    wire = wire_mismatches(flow)
    wire_note = ("\nwire deviations so far:\n" + "\n".join(wire)) if wire else ""
    for index, expected in enumerate(expected_steps):
        if index >= len(names):
            pytest.fail(
                f"client flow stopped before step {expected!r} (exit {flow.returncode})\n"
                f"stderr:\n{flow.stderr[-3000:]}\nserver log:\n{server.logs()}{wire_note}",
                pytrace=False,
            )
        step = flow.steps[index]
        assert step["step"] == expected, f"flow printed {step['step']!r} where {expected!r} was expected"
        if not step["ok"]:
            exchanges = "\n".join(
                f"  {e['device']}: {e['method']} {e['path']} -> {e['status']} set-cookie={e['setCookies']}"
                for e in step.get("exchanges", [])
            )
            pytest.fail(
                f"step {expected!r} failed:\n- " + "\n- ".join(step["problems"]) + f"\nrequests:\n{exchanges}\n"
                f"client result: {step.get('data')}\nserver log:\n{server.logs()}{wire_note}",
                pytrace=False,
            )
    assert names[len(expected_steps) :] == ["done"], f"unexpected trailing output: {names[len(expected_steps) :]}"
    assert flow.returncode == 0, flow.stderr
    assert not wire, "all client steps passed, but the wire differs from Better Auth 1.7.24:\n" + "\n".join(wire)
