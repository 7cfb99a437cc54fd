"""The README's demo command on this checkout: it serves the todo API from a venv holding only the
``[demo]`` extra, warns once about the development secret, and Ctrl-C ends it cleanly.

Ctrl-C is sent as a terminal sends it: SIGINT to the whole process group (nox and uvicorn both get it).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.load.conftest import ROOT, _free_port, wait_until_serving

pytestmark = pytest.mark.slow


def demo_command() -> str:
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"<!-- demo-command -->\s*```bash\n(.+?)\n```", readme, re.DOTALL)
    assert found, "the README lost its demo command"
    return found.group(1).strip()


def test_the_readme_demo_command_runs_the_demo_session() -> None:
    assert demo_command().endswith("python3 -m nox -s demo")


def test_demo_serves_warns_once_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BETTER_AUTH_", "DATABASE_URL", "REDIS_"))},
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/todo-demo.db",
        "BETTER_AUTH_DEV_SECRET_FILE": str(tmp_path / "dev" / "secret"),  # a first run: no secret yet
    }
    # the session's own command (README: `python3 -m nox -s demo`), on a free port instead of 8000
    proc = subprocess.Popen(
        [sys.executable, "-m", "nox", "-s", "demo", "--", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        try:
            wait_until_serving(f"http://127.0.0.1:{port}", proc, timeout=300)  # the first run creates the venv
        except RuntimeError:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"the demo did not start:\n{proc.communicate()[0].decode()}")
        signup = httpx.post(
            f"http://127.0.0.1:{port}/api/auth/sign-up/email",
            json={"email": "demo@example.com", "password": "Demo-password-1", "name": "Demo"},
            headers={"Origin": "http://localhost:3000"},
        )
        assert signup.status_code == 200, signup.text
        os.killpg(proc.pid, signal.SIGINT)
        output = proc.communicate(timeout=60)[0].decode()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert output.count("no BETTER_AUTH_SECRET") == 1, output
    assert "Traceback" not in output, output
    assert "failed" not in output.lower(), output
    assert proc.returncode == 0, output
