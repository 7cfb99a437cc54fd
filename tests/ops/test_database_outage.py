"""A database outage answers 503 DATABASE_UNAVAILABLE (never a 500), is logged once, and heals by itself.

The outage is real: the test starts a PostgreSQL server of its own (``initdb`` + ``pg_ctl`` from the
installed binaries, in a temporary directory, on a free port), runs the todo example on it, stops the
server with ``pg_ctl stop -m immediate`` (connections die as in a crash or failover) and starts it again.
The shared test PostgreSQL is never touched. Without the binaries the test skips locally and fails in CI.

Without the fix every one of these requests answered 500 ``INTERNAL_SERVER_ERROR`` (and each was logged
with a traceback); ``test_an_unreachable_database_answers_503`` shows the same without any server at all.
"""

import glob
import logging
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import create_async_engine

from fastapi_betterauth import BetterAuth, CurrentUser, SQLAlchemyAdapter, create_engine, is_database_unavailable
from fastapi_betterauth.crypto.signing import sign_cookie_value
from tests._services import free_port, unavailable
from tests.conftest import BASE_URL, ORIGIN, SECRET, FastTestHasher, make_settings

pytestmark = pytest.mark.anyio
API = "/api/auth"
EMAIL = "outage-victim@example.com"
PASSWORD = "correct-horse-battery-staple-7Q"
MONITOR_LOGGER = "fastapi_betterauth.database"


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own, controlled with ``pg_ctl``.

    ``initdb`` refuses to run as root: as root, the cluster belongs to the ``postgres`` system user and
    every command runs through ``runuser`` (CI runs as root; a developer usually does not).
    """

    def __init__(self, bindir: Path, root: Path, runner: list[str]) -> None:
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.runner = runner
        self.port = free_port()

    def _run(self, tool: str, *args: str) -> None:
        command = [*self.runner, str(self.bindir / tool), *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if result.returncode != 0:
            log = self.root / "server.log"
            server_log = log.read_text() if log.exists() else ""
            raise RuntimeError(f"{tool} {args[:1]} failed: {result.stdout}{result.stderr}\n{server_log}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        """As in a crash or a failover: connections are cut, nothing is shut down politely."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"


def _postgres_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    bindir = _postgres_bindir()
    if bindir is None or not (bindir / "initdb").exists():
        unavailable("PostgreSQL server binaries (initdb, pg_ctl) are not installed; the outage test starts its own")
    root = Path(tempfile.mkdtemp(prefix="fba-outage-"))
    runner: list[str] = []
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            unavailable("running as root without runuser: initdb must run as an unprivileged user")
        try:
            shutil.chown(root, user="postgres")
        except LookupError:
            unavailable("running as root without a 'postgres' system user to own the test cluster")
        runner = [runuser, "-u", "postgres", "--"]
    server = PrivatePostgres(bindir, root, runner)
    try:
        server.init()
        server.start()
        yield server
    finally:
        subprocess.run(
            [*runner, str(bindir / "pg_ctl"), "-D", str(server.data), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)


def assert_database_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json() == {
        "message": "The database is unavailable. Try again shortly.",
        "code": "DATABASE_UNAVAILABLE",
    }
    assert response.headers["retry-after"] == "5"
    assert "set-cookie" not in response.headers  # the session cookie stays as it is
    for leak in ("select", "insert", "asyncpg", "sqlalchemy", "postgres", "connect call", EMAIL):
        assert leak not in response.text.lower()


def monitor_lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == MONITOR_LOGGER and r.levelno == level]


@pytest.fixture
async def todo(private_postgres: PrivatePostgres, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    from examples.todo.app.main import create_app

    monkeypatch.delenv("REDIS_URL", raising=False)  # the database is the one dependency here
    app = create_app(make_settings(), private_postgres.url, create_schema=True, password_hasher=FastTestHasher())
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url=BASE_URL) as client,
    ):
        yield client


async def test_an_outage_answers_503_is_logged_once_and_heals(
    private_postgres: PrivatePostgres, todo: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    signed_up = await todo.post(f"{API}/sign-up/email", json={"email": EMAIL, "password": PASSWORD, "name": "V"})
    assert signed_up.status_code == 200
    assert (await todo.get("/api/tasks")).status_code == 200
    assert (await todo.get("/health/ready")).json() == {"status": "ok", "checks": {"database": "ok"}}

    async def requests() -> list[httpx.Response]:
        return [
            await todo.get(f"{API}/get-session"),  # the direct asyncpg pool of the hot path
            await todo.post(f"{API}/sign-in/email", json={"email": EMAIL, "password": PASSWORD}, headers=ORIGIN),
            await todo.get("/api/tasks"),  # the app's own route, behind CurrentUser
        ]

    await anyio.to_thread.run_sync(private_postgres.stop)  # the event loop runs on, as in production
    for _ in range(5):
        for response in await requests():
            assert_database_unavailable(response)
        ready = await todo.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable" and ready.json()["checks"] == {"database": "unavailable"}
        assert (await todo.get("/health/live")).json() == {"status": "ok"}
    outage = monitor_lines(caplog, logging.WARNING)
    assert len(outage) == 1, outage  # 20 failures, one line
    assert outage[0].startswith("database unavailable (") and "DATABASE_UNAVAILABLE" in outage[0]
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("fastapi_betterauth"))
    assert "unhandled error" not in ours  # no 500 path was taken
    for leak in ("SELECT", "FROM", "$1", EMAIL, "127.0.0.1"):
        assert leak not in ours  # class names only: no SQL, parameter or address
    assert monitor_lines(caplog, logging.INFO) == []

    await anyio.to_thread.run_sync(private_postgres.start)
    for response in await requests():  # the same app, not restarted: the pools reconnect by themselves
        assert response.status_code == 200, response.text
    assert (await todo.get("/health/ready")).status_code == 200
    assert (await todo.get("/health/live")).status_code == 200
    recovered = monitor_lines(caplog, logging.INFO)
    assert len(recovered) == 1 and recovered[0].startswith("database answers again after"), recovered
    assert len(monitor_lines(caplog, logging.WARNING)) == 1


async def test_a_short_blip_without_traffic_costs_no_request(
    private_postgres: PrivatePostgres, todo: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Pooled connections the restart closed are replaced at checkout, not handed to the next request."""
    caplog.set_level(logging.INFO)
    assert (
        await todo.post(f"{API}/sign-up/email", json={"email": EMAIL, "password": PASSWORD, "name": "V"})
    ).is_success
    await anyio.to_thread.run_sync(private_postgres.stop)
    await anyio.sleep(0.2)
    await anyio.to_thread.run_sync(private_postgres.start)
    signed_in = await todo.post(f"{API}/sign-in/email", json={"email": EMAIL, "password": PASSWORD}, headers=ORIGIN)
    assert signed_in.status_code == 200, signed_in.text
    assert (await todo.get(f"{API}/get-session")).status_code == 200
    assert (await todo.get("/api/tasks")).status_code == 200
    assert monitor_lines(caplog, logging.WARNING) == []


def _unused_port() -> int:
    """A port nothing listens on: connecting is refused at once, like a database host whose server is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_an_unreachable_database_answers_503(caplog: pytest.LogCaptureFixture) -> None:
    """No server at all (no binaries needed): before the fix each of these was a 500 INTERNAL_SERVER_ERROR."""
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{_unused_port()}/app"
    auth = BetterAuth(make_settings(), database=url, password_hasher=FastTestHasher())
    engine = create_engine(url)  # the app's own queries, on its own engine
    app = FastAPI(lifespan=auth.lifespan)
    app.include_router(auth.router)
    app.include_router(auth.health_router())

    @app.get("/api/me")
    async def me(user: CurrentUser) -> dict[str, str]:
        return {"id": user.id}

    @app.get("/api/report")
    async def report() -> dict[str, int]:
        async with engine.connect() as conn:
            return {"rows": int((await conn.execute(sa.text("SELECT 1"))).scalar_one())}

    caplog.set_level(logging.INFO)
    session = {"better-auth.session_token": sign_cookie_value("a-session-token", SECRET)}  # read from the database
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url=BASE_URL, cookies=session) as c,
    ):
        for _ in range(3):
            assert_database_unavailable(await c.get(f"{API}/get-session"))
            assert_database_unavailable(
                await c.post(f"{API}/sign-in/email", json={"email": EMAIL, "password": PASSWORD}, headers=ORIGIN)
            )
            assert_database_unavailable(
                await c.post(
                    f"{API}/sign-up/email", json={"email": EMAIL, "password": PASSWORD, "name": "V"}, headers=ORIGIN
                )
            )
            assert_database_unavailable(await c.get("/api/me"))
            assert_database_unavailable(await c.get("/api/report"))  # the app's own SQLAlchemy code
        ready = await c.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json() == {
            "status": "unavailable",
            "checks": {"database": "unavailable"},
            "errors": {"database": "ConnectionRefusedError"},
        }
        assert (await c.get("/health/live")).status_code == 200
    await engine.dispose()
    assert len(monitor_lines(caplog, logging.WARNING)) == 1
    assert "unhandled error" not in caplog.text


async def test_sqlite_locked_beyond_the_busy_timeout_is_a_503(tmp_path: Path) -> None:
    """SQLite's "database is locked" (a writer held the lock past busy_timeout) passes: 503, retry."""
    path = tmp_path / "locked.db"
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}", connect_args={"timeout": 0.1})
    auth = BetterAuth(make_settings(), adapter=SQLAlchemyAdapter(engine), password_hasher=FastTestHasher())
    await auth.create_schema()
    app = FastAPI(lifespan=auth.lifespan)
    app.include_router(auth.router)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url=BASE_URL) as client,
        ):
            body = {"email": EMAIL, "password": PASSWORD, "name": "V"}
            assert_database_unavailable(await client.post(f"{API}/sign-up/email", json=body))
            holder.execute("ROLLBACK")
            assert (await client.post(f"{API}/sign-up/email", json=body)).status_code == 200
    finally:
        holder.close()
        await auth.close()


async def test_errors_that_are_bugs_are_not_outages(tmp_path: Path) -> None:
    """A missing table or bad SQL stays a 500 (and is logged with its traceback): retrying would not help."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/bugs.db")
    try:
        async with engine.connect() as conn:
            for statement in ('SELECT * FROM "nope"', "SELEC 1"):
                with pytest.raises(sa.exc.OperationalError) as caught:
                    await conn.execute(sa.text(statement))
                assert not is_database_unavailable(caught.value)
    finally:
        await engine.dispose()
    assert not is_database_unavailable(OSError("a file the app could not open"))  # not raised in a driver
    assert not is_database_unavailable(ValueError("nothing to do with a database"))


async def test_the_apps_own_handler_for_those_errors_keeps_precedence() -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{_unused_port()}/app"
    auth = BetterAuth(make_settings(), database=url, password_hasher=FastTestHasher())
    engine = create_engine(url)
    app = FastAPI(lifespan=auth.lifespan)
    app.include_router(auth.router)

    @app.exception_handler(ConnectionError)
    async def mine(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": "ours"}, status_code=503)

    @app.get("/api/report")
    async def report() -> dict[str, int]:
        async with engine.connect() as conn:
            return {"rows": int((await conn.execute(sa.text("SELECT 1"))).scalar_one())}

    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url=BASE_URL) as client,
    ):
        assert (await client.get("/api/report")).json() == {"detail": "ours"}
    await engine.dispose()
