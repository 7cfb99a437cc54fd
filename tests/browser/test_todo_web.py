"""The todo example's Next.js frontend (examples/todo/web) driven in headless Chromium, end to end.

The backend (examples/todo under uvicorn, SQLite in a tmp dir), the built frontend (``next start``) and the local
OpenID Connect provider of tests/social run as subprocesses on free loopback ports; e2e/journey.mjs (playwright-core
with the system's ``chromium``, no browser download) clicks through the whole journey and prints JSON. Screenshots
land in ``$TODO_WEB_ARTIFACTS`` (default tests/browser/artifacts, git-ignored). Without node, npm or chromium the test
skips locally and fails in CI (FASTAPI_BETTERAUTH_REQUIRE_SERVICES=1).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests._services import free_port, require_node, unavailable
from tests.interop.conftest import OidcProvider, Server, _start, clean_env

REPO_ROOT = Path(__file__).resolve().parents[2]
WEB_DIR = REPO_ROOT / "examples" / "todo" / "web"
ARTIFACTS = Path(os.environ.get("TODO_WEB_ARTIFACTS") or Path(__file__).resolve().parent / "artifacts")
SECRET = "browser-secret-0123456789abcdef0123456789abcdef"
JWT_LIFETIME = 6  # seconds: the journey waits one lifetime out mid-session
BUILD_KEY_FILE = WEB_DIR / ".next" / "fastapi-betterauth-build-key"
BUILD_INPUTS = ("app", "lib", "next.config.mjs", "jsconfig.json", "package-lock.json")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chromium() -> str:
    """The system's Chromium (Debian's ``chromium`` package); checked first, before anything is built."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None or not Path(path).exists():
        unavailable("chromium is not installed (apt-get install chromium); the browser tests drive it headless")
    return path


def _run(args: list[str], timeout: float) -> None:
    env = {**os.environ, "NEXT_TELEMETRY_DISABLED": "1"}
    try:
        result = subprocess.run(
            args, cwd=WEB_DIR, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        unavailable(f"{' '.join(args)} failed in {WEB_DIR}: {exc}")
    if result.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed in {WEB_DIR}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def _build_key() -> str:
    """A hash of everything the build reads: an unchanged tree reuses the previous ``.next``."""
    digest = hashlib.sha256()
    for name in BUILD_INPUTS:
        root = WEB_DIR / name
        for path in sorted([root] if root.is_file() else root.rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(WEB_DIR)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@pytest.fixture(scope="module")
def built_web() -> Path:
    """examples/todo/web with its node_modules (``npm ci``) and a production build (``next build``, cached)."""
    require_node()
    if shutil.which("npm") is None:
        unavailable("npm is not installed; the browser tests build the Next.js app")
    if (
        not (WEB_DIR / "node_modules" / "next" / "package.json").exists()
        or not (WEB_DIR / "node_modules" / "playwright-core" / "package.json").exists()
    ):
        _run(["npm", "ci", "--no-audit", "--no-fund"], timeout=600)
    key = _build_key()
    if not BUILD_KEY_FILE.exists() or BUILD_KEY_FILE.read_text() != key:
        _run(["npx", "--no-install", "next", "build"], timeout=600)
        BUILD_KEY_FILE.write_text(key)
    return WEB_DIR


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in reversed(started):
        server.stop()


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    # The process starter of tests/social (idp_mock.mjs, oauth2-mock-server), as the interop suites use it.
    from tests.social.conftest import MockIdP, _start_node_idp

    started = _start_node_idp(MockIdP, "mock-idp", "idp_mock.mjs", tmp_path_factory.mktemp("browser-idp"))
    try:
        yield started
    finally:
        started.stop()


def _start_web(servers: list[Server], api_url: str, port: int, log_dir: Path, node: str) -> Server:
    env = clean_env(
        TODO_API_URL=api_url, TODO_OIDC_PROVIDER="local", NEXT_TELEMETRY_DISABLED="1", NODE_ENV="production"
    )
    next_bin = str(WEB_DIR / "node_modules" / "next" / "dist" / "bin" / "next")
    args = [node, next_bin, "start", "-H", "127.0.0.1", "-p", str(port)]
    log_path = log_dir / f"web-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            args, cwd=WEB_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    server = Server(name="web", url=f"http://127.0.0.1:{port}", process=process, log_path=log_path, env=env)
    servers.append(server)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"next start exited with {process.returncode}:\n{server.logs()}")
        try:
            if httpx.get(f"{server.url}/sign-in", timeout=2.0).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"next start not ready after 60s:\n{server.logs()}")


def test_whole_journey_in_chromium(
    chromium: str, built_web: Path, servers: list[Server], idp: object, tmp_path: Path
) -> None:
    node = require_node()
    api_port, web_port = free_port(), free_port()
    web_url = f"http://127.0.0.1:{web_port}"
    outbox = tmp_path / "outbox.jsonl"
    email = f"journey-{time.time_ns()}@example.com"
    oidc = OidcProvider(discovery_url=idp.discovery_url)  # type: ignore[attr-defined]
    api_env = clean_env(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/todo.db",
        BETTER_AUTH_SECRET=SECRET,
        BETTER_AUTH_URL=f"http://127.0.0.1:{api_port}",
        BETTER_AUTH_TRUSTED_ORIGINS=web_url,
        TODO_OUTBOX=str(outbox),
        TODO_PASSWORD_RULES="1",
        TODO_JWT_EXPIRES_IN=str(JWT_LIFETIME),
        TODO_ADMIN_EMAILS=email,
        **oidc.env(),
    )
    uvicorn = [sys.executable, "-m", "uvicorn", "examples.todo.app.main:app", "--host", "127.0.0.1"]
    api = _start(
        servers,
        "api",
        [*uvicorn, "--port", str(api_port), "--log-level", "warning"],
        api_env,
        tmp_path,
        api_port,
        REPO_ROOT,
    )
    _start_web(servers, api.url, web_port, tmp_path, node)

    journey_env = {
        **os.environ,
        "WEB_URL": web_url,
        "API_URL": api.url,
        "OUTBOX": str(outbox),
        "JWT_LIFETIME": str(JWT_LIFETIME),
        "ADMIN": "1",
        "USER_EMAIL": email,
        "OIDC_PROVIDER": "local",
        "OIDC_EMAIL": "oidc-user@example.com",
        "ARTIFACTS": str(ARTIFACTS),
        "CHROMIUM": chromium,
    }
    started = time.monotonic()
    run = subprocess.run(
        [node, "e2e/journey.mjs"],
        cwd=WEB_DIR,
        env=journey_env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    elapsed = time.monotonic() - started
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    assert lines, f"journey printed no JSON (exit {run.returncode}):\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    result = json.loads(lines[-1])
    failed = [step for step in result["steps"] if not step["ok"]]
    context = (
        f"\nconsole errors: {result['consoleErrors']}\nfailed requests: {result['failedRequests']}"
        f"\napi log:\n{api.logs(3000)}\njourney stderr:\n{run.stderr[-2000:]}"
    )
    assert not failed, json.dumps(failed, indent=2) + context
    assert [step["name"] for step in result["steps"]] == [
        "error handler: wrong password is a readable message",
        "sign-up shows the password rules as you type",
        "email verification: the link from the outbox signs in",
        "task list: create, complete, edit, delete, filter",
        "the JWT expires mid-session and is refreshed silently",
        "a 401 from the API is answered with a fresh JWT and one retry",
        "admin page lists users and all tasks",
        "a second tab sees the sign-out",
        "sign in again: the tasks are still there",
        "sign in with the OpenID Connect provider (round trip)",
    ]
    assert result["consoleErrors"] == [], result["consoleErrors"]
    assert result["failedRequests"] == [], result["failedRequests"]
    assert result["jwt"]["refreshesAfter"] > result["jwt"]["refreshesBefore"]
    assert len(result["screenshots"]) == 7 and all(Path(p).stat().st_size > 0 for p in result["screenshots"])
    assert result["ok"] and run.returncode == 0, run.stderr[-2000:]
    print(f"journey: {result['durationMs'] / 1000:.1f}s in the browser, {elapsed:.1f}s with Chromium's start")
