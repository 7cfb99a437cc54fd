"""``auth.lifespan`` freezes the heap startup built (once per process) unless told not to.

Checked in a fresh interpreter: this test process may have been frozen by an earlier test's lifespan.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

_PROBE = """
import asyncio, gc, json
from fastapi import FastAPI
from fastapi_betterauth import AuthSettings, BetterAuth

auth = BetterAuth(
    AuthSettings(secret="heap-secret-0123456789abcdef0123456789", base_url="http://localhost:8000", {extra}),
    database="sqlite+aiosqlite:///{db}",
)
app = FastAPI(lifespan=auth.lifespan)
app.include_router(auth.router)

async def main() -> list[int]:
    counts = [gc.get_freeze_count()]
    for _ in range(2):  # a second lifespan (a test client, a reload) freezes nothing more
        async with auth.lifespan(app):
            counts.append(gc.get_freeze_count())
    return counts

print(json.dumps(asyncio.run(main())))
"""


def _freeze_counts(tmp_path: Path, extra: str) -> list[int]:
    code = _PROBE.format(db=tmp_path / "heap.db", extra=extra)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    counts: list[int] = json.loads(done.stdout.strip().splitlines()[-1])
    return counts


def test_the_first_lifespan_freezes_the_startup_heap_once(tmp_path: Path) -> None:
    before, first, second = _freeze_counts(tmp_path, "")
    assert before == 0
    assert first > 10_000  # modules, models and routes: tens of thousands of objects
    assert second <= first  # nothing frozen again (frozen objects freed meanwhile leave the count)


@pytest.mark.parametrize("extra", ["freeze_startup_heap=False"])
def test_freezing_can_be_turned_off(tmp_path: Path, extra: str) -> None:
    assert _freeze_counts(tmp_path, extra) == [0, 0, 0]
