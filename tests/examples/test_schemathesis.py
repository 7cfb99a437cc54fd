"""Schemathesis with every check against both examples: the OpenAPI document tells the truth.

Each example runs in a real uvicorn process on a fresh SQLite file. Schemathesis (``[checks] enabled =
true`` in ``schemathesis.toml``, i.e. ``--checks all``) fuzzes every operation twice: anonymously, and
with a signed-in user's bearer token (leaving out the routes that would end that session). The only
checks turned off are for Better Auth's own behaviours, each named in ``schemathesis.toml`` and in
docs/architecture.md. Bounded: a fixed seed, 25 examples per operation, about a minute per example.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import SECRET

pytest.importorskip("schemathesis", reason="schemathesis is part of the dev extra")

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
SESSION_ENDING = r"^/api/auth/(sign-out|revoke-sessions?|revoke-other-sessions|delete-user|change-password|admin/.*)$"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(params=["todo", "rag_chat"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The example in a uvicorn process; yields its base URL and its access log."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/fuzz.db",
        "BETTER_AUTH_SECRET": SECRET,
        "BETTER_AUTH_DEV_SECRET_FILE": str(tmp_path / "dev-secret"),
        # Thousands of generated requests from one address would mostly meet the rate limiter's 429
        # (declared on every route); without it they reach, and check, every other answer.
        "BETTER_AUTH_RATE_LIMIT__ENABLED": "false",
    }
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", f"examples.{request.param}.app.main:app", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{url}/api/auth/ok", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail(f"the {request.param} example did not start: {(tmp_path / 'server.log').read_text()}")
        yield url, tmp_path / "server.log"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _schemathesis(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    command = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or "schemathesis"
    return subprocess.run(
        [
            command,
            "--config-file",
            str(CONFIG),
            "run",
            f"{url}/openapi.json",
            "--max-examples",
            "25",
            "--seed",
            "2",
            "--workers",
            "1",
            "--phases",
            "examples,coverage,fuzzing",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
    )


@pytest.mark.slow
def test_every_check_passes_anonymous_and_signed_in(served: tuple[str, Path]) -> None:
    url, log = served
    anonymous = _schemathesis(url)
    assert anonymous.returncode == 0, anonymous.stdout[-6000:]
    signed_up = httpx.post(
        f"{url}/api/auth/sign-up/email",
        json={"email": "fuzz@example.com", "password": "password123", "name": "Fuzz"},
    )
    token = signed_up.headers["set-auth-token"]
    before = _app_successes(log)
    signed_in = _schemathesis(url, "-H", f"Authorization: Bearer {token}", "--exclude-path-regex", SESSION_ENDING)
    assert signed_in.returncode == 0, signed_in.stdout[-6000:]
    # The signed-in pass really got through to the application's protected routes (not a wall of 401s).
    assert _app_successes(log) - before > 20


def _app_successes(log: Path) -> int:
    """2xx answers of the application's own routes (not /api/auth), from uvicorn's access log."""
    lines = log.read_text(errors="replace").splitlines()
    return sum(1 for line in lines if re.search(r'"[A-Z]+ /api/(?!auth/)\S* HTTP/1\.1" 2\d\d', line))
