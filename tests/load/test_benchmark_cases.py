"""Every case of benchmarks/instructions.py runs and its route answers 200 (the worker raises otherwise).

The benchmarks are figures, not tests; this keeps their servers (benchmarks/hot_apps.py: the library, the lean
floors and the two attribution floors) from rotting between runs of `nox -s bench`. Each worker runs here without
valgrind, for a few requests.
"""

import asyncio
import importlib.util
import os
import subprocess
import sys

import pytest

from fastapi_betterauth.migrations import upgrade
from tests._services import asyncpg_url, create_postgres_database, drop_postgres_database
from tests.load.conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
SCRIPT = ROOT / "benchmarks" / "instructions.py"


def _cases() -> dict[str, tuple[str, str, dict[str, str]]]:
    spec = importlib.util.spec_from_file_location("benchmark_instructions", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cases: dict[str, tuple[str, str, dict[str, str]]] = module.CASES
    return cases


def test_every_instruction_case_answers() -> None:
    cases = _cases()
    assert {"floor session signing a JWT", "floor session through CurrentUser's dependency tree"} <= set(cases)
    dsn = asyncio.run(create_postgres_database())  # sync test: the migrations run their own event loop
    try:
        for branch in ("better_auth@head", "better_auth_jwt@head"):
            upgrade(dsn, branch)
        for case, (_, _, extra_env) in cases.items():
            done = subprocess.run(
                [sys.executable, str(SCRIPT), "--worker", case, "3"],
                cwd=ROOT,
                env={**os.environ, **extra_env, "DATABASE_URL": asyncpg_url(dsn)},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert done.returncode == 0, f"{case}:\n{done.stderr[-2000:]}"
    finally:
        asyncio.run(drop_postgres_database(dsn))
