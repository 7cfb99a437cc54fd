"""Developer tasks; sessions run on the interpreter that runs nox.

`python3 -m nox -s tests` is the README's test command and what CI runs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True

ROOT = Path(__file__).parent
WEB = ROOT / "examples" / "todo" / "web"
INTEROP = ROOT / "tests" / "interop"


def _install_node_deps(session: nox.Session) -> None:
    """Install the pinned npm better-auth used by the interop tests, when node is available."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        session.log("node/npm not found: the JS-client interop tests will be skipped")
        return
    if (INTEROP / "package.json").exists() and not (INTEROP / "node_modules" / "better-auth").exists():
        session.run(npm, "ci", "--no-audit", "--no-fund", "--prefix", str(INTEROP), external=True)
    if (WEB / "package.json").exists() and not (WEB / "node_modules" / "next").exists():
        session.run(npm, "ci", "--no-audit", "--no-fund", "--prefix", str(WEB), external=True)


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite (PostgreSQL and interop tests skip locally without the services)."""
    session.install("-e", ".[dev]")
    _install_node_deps(session)
    session.run("pytest", *session.posargs)


@nox.session
def tests_postgres(session: nox.Session) -> None:
    """Only the PostgreSQL-backed tests, required to run (fails without a server)."""
    session.install("-e", ".[dev]")
    session.run(
        "pytest",
        "-m",
        "postgres",
        *session.posargs,
        env={"FASTAPI_BETTERAUTH_REQUIRE_SERVICES": "1"},
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and format check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", "src")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on src, and on the examples (they are documentation: they must type-check too)."""
    session.install("-e", ".[dev]")
    session.run("mypy")
    session.run("mypy", "--strict", "examples")


@nox.session
def demo(session: nox.Session) -> None:
    """Run the todo example on SQLite: http://127.0.0.1:8000/docs."""
    session.install("-e", ".[demo]")
    env = {"DATABASE_URL": os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///./todo-demo.db")}
    session.run(
        "uvicorn", "examples.todo.app.main:app", "--host", "127.0.0.1", "--port", "8000", *session.posargs, env=env
    )


@nox.session
def todo_web(session: nox.Session) -> None:
    """The todo example with its Next.js frontend: the API on http://localhost:8000 (SQLite), the web app on :3000."""
    session.install("-e", ".[demo]")
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        session.error("the frontend needs node and npm (https://nodejs.org)")
    session.run(npm, "ci", "--no-audit", "--no-fund", "--prefix", str(WEB), external=True)
    python = str(Path(session.bin) / "python")
    session.run("node", str(WEB / "demo.mjs"), "--build", *session.posargs, external=True, env={"PYTHON": python})


@nox.session
def rag_chat(session: nox.Session) -> None:
    """Run the RAG-chat example on SQLite: http://127.0.0.1:8000/docs."""
    session.install("-e", ".[demo]")
    env = {"DATABASE_URL": os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///./rag-chat.db")}
    session.run(
        "uvicorn", "examples.rag_chat.app.main:app", "--host", "127.0.0.1", "--port", "8000", *session.posargs, env=env
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Throughput and latency benchmarks (figures, not pass/fail)."""
    session.install("-e", ".[dev]")
    _install_node_deps(session)
    session.run("python", "benchmarks/run.py", *session.posargs)
    if shutil.which("wrk"):
        # Side by side with Better Auth and hand-written floors, with ratios (docs/performance.md).
        session.run("python", "benchmarks/hot_paths.py")
    else:
        session.log("wrk not found: no hot-path comparison (apt-get install wrk)")
    if shutil.which("valgrind"):
        # Instructions per request: where the work goes, immune to a shared machine's drift (docs/performance.md).
        session.run("python", "benchmarks/instructions.py")
    else:
        session.log("valgrind not found: no instruction counts (apt-get install valgrind)")


@nox.session
def build(session: nox.Session) -> None:
    """Build the sdist and wheel and check their metadata."""
    session.install("build", "twine")
    session.run("python", "-m", "build", "--outdir", "dist")
    session.run("twine", "check", *[str(p) for p in (ROOT / "dist").glob("*")])
