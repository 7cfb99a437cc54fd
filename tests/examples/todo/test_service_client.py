"""The service-to-service example (examples/clients/service_client.py and report_api.py) over real HTTP.

The todo API (the issuer) and the report API (the receiver) run under uvicorn on loopback ports, the todo API on
SQLite and PostgreSQL; the nightly job holds the service account's session token and calls both with JWTs. Refresh
before and after expiry, persistence across a restart (new processes of the job), the end of the refresh credential
(sign-in required), sign-out, and a receiver that only ever fetches the issuer's /jwks.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt as pyjwt
import pytest
import sqlalchemy as sa
import uvicorn

from examples.clients.report_api import create_app as create_report_api
from examples.clients.service_client import ReportJob, SignInRequired
from tests._services import free_port
from tests.conftest import SECRET, FastTestHasher, make_settings
from tests.examples.conftest import ExampleWorld

from .conftest import ORIGIN

pytestmark = pytest.mark.anyio

EMAIL = "report-bot@example.com"
PASSWORD = "service account password"
REPO_ROOT = Path(__file__).resolve().parents[3]
Exchange = tuple[str, str, int]
"""(method, path, status) of one request."""


class Served:
    """An app under uvicorn on a free loopback port, in this event loop (``url`` is its origin)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: uvicorn.Server | None = None
        self.task: asyncio.Task[None] | None = None

    async def start(self, app: Any) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", ws="none", lifespan="on")
        self.server = uvicorn.Server(config)
        self.task = asyncio.create_task(self.server.serve())
        deadline = time.monotonic() + 30
        while not self.server.started:
            if self.task.done() or time.monotonic() > deadline:
                await self.stop()
                pytest.fail(f"uvicorn did not start on port {self.port}")
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        """Shut down (the lifespan exits: the todo app disposes of its engine)."""
        if self.server is not None:
            self.server.should_exit = True
        if self.task is not None:
            await self.task


@dataclass
class Deployment:
    """The todo API and the report API, served; the job's token file; what went over the wire."""

    todo_url: str
    report_url: str
    todo: Served
    engine: Any
    token_file: Path
    stack: AsyncExitStack
    exchanges: list[Exchange] = field(default_factory=list)
    """Every request of the jobs made in this process."""
    jwks_requests: list[str] = field(default_factory=list)
    """Every request the report API made (to fetch keys)."""

    async def job(self, clock: Callable[[], float] = time.time) -> ReportJob:
        """A new job (a restart, when the token file was used before), its requests logged."""

        async def log(response: httpx.Response) -> None:
            self.exchanges.append((response.request.method, response.request.url.path, response.status_code))

        http = httpx.AsyncClient(base_url=self.todo_url, timeout=10, event_hooks={"response": [log]})
        job = ReportJob(self.todo_url, self.report_url, self.token_file, http=http, clock=clock)
        self.stack.push_async_callback(job.aclose)
        return job

    async def signed_in_job(self, clock: Callable[[], float] = time.time) -> ReportJob:
        job = await self.job(clock)
        await job.sign_in(EMAIL, PASSWORD)
        self.exchanges.clear()
        return job

    def since(self, mark: int) -> list[Exchange]:
        return self.exchanges[mark:]

    async def process(self, *args: str) -> tuple[int, str, str]:
        """``python -m examples.clients.service_client`` in a new process (exit code, stdout, stderr)."""
        env = {
            **os.environ,
            "REPORT_JOB_AUTH_URL": self.todo_url,
            "REPORT_JOB_REPORT_URL": self.report_url,
            "REPORT_JOB_TOKEN_FILE": str(self.token_file),
            "REPORT_JOB_PASSWORD": PASSWORD,
        }
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "examples.clients.service_client",
            *args,
            cwd=REPO_ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(child.communicate(), timeout=60)
        assert child.returncode is not None
        return child.returncode, out.decode(), err.decode()


@pytest.fixture
async def deployment(world: Callable[[], ExampleWorld], tmp_path: Path) -> AsyncIterator[Deployment]:
    """Both services up, the service account signed up with two tasks (one completed)."""
    w = world()
    async with AsyncExitStack() as stack:
        todo = Served()
        stack.push_async_callback(todo.stop)
        settings = make_settings(base_url=todo.url)  # the issuer: `iss`, `aud` and the JWKS URL name this origin
        todo_app = w.create_app(settings, database_url=w.database_url, password_hasher=FastTestHasher())
        await todo.start(todo_app)
        todo_url = todo.url
        jwks_requests: list[str] = []

        async def log_fetch(request: httpx.Request) -> None:
            jwks_requests.append(f"{request.method} {request.url}")

        jwks_client = await stack.enter_async_context(httpx.AsyncClient(event_hooks={"request": [log_fetch]}))
        report = Served()
        stack.push_async_callback(report.stop)
        await report.start(create_report_api(todo_url, jwks_client=jwks_client))
        async with httpx.AsyncClient(base_url=todo_url, headers=ORIGIN) as operator:
            signed_up = await operator.post(
                "/api/auth/sign-up/email", json={"email": EMAIL, "password": PASSWORD, "name": "Report bot"}
            )
            assert signed_up.status_code == 200, signed_up.text
            bearer = {"authorization": f"Bearer {signed_up.headers['set-auth-token']}"}
            operator.cookies.clear()
            for title in ("rotate the logs", "archive last month"):
                assert (await operator.post("/api/tasks", json={"title": title}, headers=bearer)).status_code == 201
            first = (await operator.get("/api/tasks", headers=bearer)).json()[0]["id"]
            assert (await operator.patch(f"/api/tasks/{first}/complete", headers=bearer)).status_code == 200
        yield Deployment(
            todo_url=todo_url,
            report_url=report.url,
            todo=todo,
            engine=todo_app.state.engine,
            token_file=tmp_path / "job" / "session-token",
            stack=stack,
            jwks_requests=jwks_requests,
        )


def expiry(jwt: str) -> float:
    return float(pyjwt.decode(jwt, options={"verify_signature": False})["exp"])


def current_jwt(job: ReportJob) -> str:
    jwt = job.tokens._jwt
    assert jwt is not None
    return jwt


ONE_RUN = [("GET", "/api/tasks", 200), ("POST", "/reports", 201)]
MINT = ("GET", "/api/auth/token", 200)


async def test_refresh_before_expiry(deployment: Deployment) -> None:
    now = [time.time()]
    job = await deployment.signed_in_job(clock=lambda: now[0])
    report = await job.run()
    assert {k: report[k] for k in ("id", "name", "open_tasks", "completed_tasks", "author_email")} == {
        "id": 1,
        "name": "nightly",
        "open_tasks": 1,
        "completed_tasks": 1,
        "author_email": EMAIL,
    }
    await job.run()
    assert deployment.exchanges == [MINT, *ONE_RUN, *ONE_RUN], "one JWT for both services and both runs"
    exp = expiry(current_jwt(job))
    assert 890 <= exp - time.time() <= 900

    now[0] = exp - 61
    mark = len(deployment.exchanges)
    await job.run()
    assert deployment.since(mark) == ONE_RUN and job.tokens.minted == 1

    now[0] = exp - 59  # within a minute of exp: a new JWT before the call, not after a 401
    mark = len(deployment.exchanges)
    assert (await job.tokens.request("GET", "/api/tasks")).status_code == 200
    assert deployment.since(mark) == [MINT, ("GET", "/api/tasks", 200)] and job.tokens.minted == 2
    assert expiry(current_jwt(job)) >= exp
    # (The server's clock did not jump with the job's: back to the present, where the new JWT has 15 minutes.)
    now[0] = time.time()
    mark = len(deployment.exchanges)
    assert (await job.run())["id"] == 4
    assert deployment.since(mark) == ONE_RUN and job.tokens.minted == 2


async def test_refresh_after_expiry(deployment: Deployment) -> None:
    now = time.time()
    job = await deployment.signed_in_job(clock=lambda: now - 1000)
    await job.run()
    user_id = pyjwt.decode(current_jwt(job), options={"verify_signature": False})["sub"]
    # A JWT the todo API accepts (HS256 with its shared secret, seed 002) except that it expired 100 s ago; the job's
    # clock lags, so only the API's 401 tells it.
    valid = pyjwt.encode({"sub": user_id, "iat": int(now), "exp": int(now) + 300}, SECRET, algorithm="HS256")
    expired = pyjwt.encode({"sub": user_id, "iat": int(now) - 1000, "exp": int(now) - 100}, SECRET, algorithm="HS256")
    async with httpx.AsyncClient(base_url=deployment.todo_url) as probe:
        assert (await probe.get("/api/tasks", headers={"authorization": f"Bearer {valid}"})).status_code == 200
        refused = await probe.get("/api/tasks", headers={"authorization": f"Bearer {expired}"})
        assert refused.status_code == 401 and refused.json()["code"] == "TOKEN_EXPIRED"
    job.tokens._jwt = expired

    mark = len(deployment.exchanges)
    report = await job.run()
    assert report["id"] == 2 and report["open_tasks"] == 1
    assert deployment.since(mark) == [("GET", "/api/tasks", 401), MINT, *ONE_RUN], "one new JWT, one retry"
    assert job.tokens.minted == 2 and current_jwt(job) != expired


async def test_persistence_across_restart(deployment: Deployment) -> None:
    # The operator provisions the token once; each nightly run is a new process that reads it.
    code, out, err = await deployment.process("--sign-in", EMAIL)
    assert code == 0, err
    assert stat.S_IMODE(deployment.token_file.stat().st_mode) == 0o600
    for number in (1, 2):
        code, out, err = await deployment.process()
        assert (code, out) == (0, f"report {number}: 1 open, 1 completed\n"), err
    # And one more restart, in this process: the stored token still mints, and both reports are the account's.
    job = await deployment.job()
    assert job.tokens.signed_in
    mine = await job.tokens.request("GET", f"{deployment.report_url}/reports")
    assert [(r["id"], r["author_email"]) for r in mine.json()] == [(1, EMAIL), (2, EMAIL)]
    assert deployment.exchanges == [MINT, ("GET", "/reports", 200)]
    # The stored token is what kept it signed in: without it, the run asks for sign-in.
    deployment.token_file.unlink()
    code, out, err = await deployment.process()
    assert code == 2 and "sign-in required (not signed in)" in err, (out, err)


async def test_expired_session_requires_sign_in(deployment: Deployment) -> None:
    now = [time.time()]
    job = await deployment.signed_in_job(clock=lambda: now[0])
    await job.run()
    # The service account's session (the refresh credential) runs out, as after `session.expires_in` unused.
    past = datetime.now(UTC) - timedelta(minutes=1)
    engine = deployment.engine
    value = past if engine.dialect.name == "postgresql" else past.isoformat(timespec="milliseconds")[:-6] + "Z"
    async with engine.begin() as conn:
        ended = await conn.execute(sa.text('update "session" set "expiresAt" = :past'), {"past": value})
    assert ended.rowcount == 2  # the sign-up's session and the job's

    mark = len(deployment.exchanges)
    await job.run()  # the JWT already issued is valid until its exp: neither service asks about the session
    assert deployment.since(mark) == ONE_RUN
    now[0] = expiry(current_jwt(job)) - 30
    mark = len(deployment.exchanges)
    with pytest.raises(SignInRequired):
        await job.run()
    assert deployment.since(mark) == [("GET", "/api/auth/token", 401)]
    assert not job.tokens.signed_in and not deployment.token_file.exists()
    code, out, err = await deployment.process()
    assert code == 2 and "sign-in required" in err, (out, err)
    # The operator signs the account in again, and the next run works.
    assert (await deployment.process("--sign-in", EMAIL))[0] == 0
    code, out, err = await deployment.process()
    assert (code, out) == (0, "report 3: 1 open, 1 completed\n"), err


async def test_sign_out(deployment: Deployment) -> None:
    job = await deployment.signed_in_job()
    await job.run()
    stored = deployment.token_file.read_text()

    async def mints() -> int:
        async with httpx.AsyncClient(base_url=deployment.todo_url) as probe:
            return (await probe.get("/api/auth/token", headers={"authorization": f"Bearer {stored}"})).status_code

    assert await mints() == 200
    mark = len(deployment.exchanges)
    await job.sign_out()
    assert deployment.since(mark) == [("POST", "/api/auth/sign-out", 200)]
    assert not deployment.token_file.exists()
    assert await mints() == 401, "the signed-out session token must not mint JWTs any more"
    mark = len(deployment.exchanges)
    with pytest.raises(SignInRequired):
        await job.run()
    assert deployment.since(mark) == []
    code, out, err = await deployment.process()
    assert code == 2 and "sign-in required" in err, (out, err)


async def test_the_receiver_only_fetches_the_key_set(deployment: Deployment) -> None:
    now = [time.time()]
    job = await deployment.signed_in_job(clock=lambda: now[0])
    await job.run()
    now[0] = expiry(current_jwt(job)) - 30
    await job.tokens.access_token()  # a second JWT, from the same key
    now[0] = time.time()
    await job.run()
    await job.run()
    assert job.tokens.minted == 2  # two JWTs, three reports
    # The receiver asked the issuer for its public keys once (then cached them), and for nothing else.
    assert deployment.jwks_requests == [f"GET {deployment.todo_url}/api/auth/jwks"]

    jwt = current_jwt(job)
    header, _, signature = jwt.split(".")
    claims = pyjwt.utils.base64url_encode(json.dumps({"sub": "someone else", "exp": 9999999999}).encode()).decode()
    forged = f"{header}.{claims}.{signature}"  # the real key id and a real signature, of other claims
    # The issuer and its database gone: JWTs are still verified by the receiver alone, forgeries refused.
    await deployment.todo.stop()
    async with httpx.AsyncClient(base_url=deployment.report_url) as caller:
        with pytest.raises(httpx.ConnectError):
            await caller.get(f"{deployment.todo_url}/api/auth/ok")
        report = {"name": "offline", "open_tasks": 0, "completed_tasks": 0}
        accepted = await caller.post("/reports", json=report, headers={"authorization": f"Bearer {jwt}"})
        assert accepted.status_code == 201 and accepted.json()["id"] == 4, accepted.text
        refused = await caller.post("/reports", json=report, headers={"authorization": f"Bearer {forged}"})
        assert refused.status_code == 401 and refused.json()["code"] == "INVALID_TOKEN"
        nobody = await caller.get("/reports")
        assert nobody.status_code == 401
    assert deployment.jwks_requests == [f"GET {deployment.todo_url}/api/auth/jwks"]
