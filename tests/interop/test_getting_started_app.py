"""docs/getting-started.md, run as a newcomer would: its ``app.py`` code blocks become a file, uvicorn serves
it, the official client drives it, and the documented ``create-admin`` command makes the user an admin.

The code comes from the Markdown itself, so the page cannot drift from what works.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO_ROOT, SECRET, Server, _start, clean_env, free_port, run_node_script

PAGE = REPO_ROOT / "docs" / "getting-started.md"
EMAIL = "newcomer@example.com"


def app_source() -> str:
    """The page's ``<!-- app.py -->`` blocks, in order."""
    blocks = re.findall(r"<!-- app\.py -->\s*```python\n(.*?)```", PAGE.read_text(), re.DOTALL)
    assert len(blocks) >= 2, "the getting-started page lost its app.py blocks"
    return "\n\n".join(blocks)


def test_the_page_documents_a_whole_app() -> None:
    source = app_source()
    compile(source, "app.py", "exec")
    for needed in ("auth.lifespan(app)", "create_schema()", "auth.add_cors(app)", "install_error_handlers(app)"):
        assert needed in source


def documented_command(name: str) -> list[str]:
    """A ``bash`` line of the page that runs ``name`` (so the test runs the command the page shows)."""
    for line in PAGE.read_text().splitlines():
        if line.startswith(name):
            return line.split()
    raise AssertionError(f"the page shows no {name} command")


@pytest.mark.slow
def test_the_getting_started_app_works_with_the_official_client(
    node: str, node_modules: Path, servers: list[Server], tmp_path: Path
) -> None:
    (tmp_path / "app.py").write_text(app_source())
    port = free_port()
    env = clean_env(
        BETTER_AUTH_SECRET=SECRET,
        BETTER_AUTH_URL=f"http://127.0.0.1:{port}",
        BETTER_AUTH_TRUSTED_ORIGINS="http://localhost:3000",
    )
    args = [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port)]
    server: Server = _start(servers, "getting-started", args, env, tmp_path, port, tmp_path)

    flow = run_node_script(node, "new_app_flow.mjs", server.url, "signup", EMAIL)
    failed = [s for s in flow.steps if not s["ok"]]
    assert flow.returncode == 0 and not failed, (failed, flow.stderr, server.logs())
    assert "done" in flow.by_name()

    command = documented_command("fastapi-betterauth create-admin")
    command[command.index("--email") + 1] = EMAIL
    script = Path(sys.executable).with_name("fastapi-betterauth")
    promoted = subprocess.run(
        [str(script), *command[1:]], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert promoted.returncode == 0, promoted.stderr
    assert EMAIL in promoted.stdout and "Traceback" not in promoted.stderr

    flow = run_node_script(node, "new_app_flow.mjs", server.url, "admin", EMAIL)
    failed = [s for s in flow.steps if not s["ok"]]
    assert flow.returncode == 0 and not failed, (failed, flow.stderr, server.logs())
    assert "done" in flow.by_name()
    assert "Traceback" not in server.logs()
