"""Instructions per request of the hot paths, counted by callgrind: attribution a noisy shared VM cannot blur.

    python benchmarks/instructions.py [--requests 400] [--json out.json]   (about 10 minutes on 2 cores; also in
                                                                             `nox -s bench` when valgrind is there)

wrk's requests/s drift by ±20 % between runs of a shared VM (benchmarks/hot_paths.py takes medians and compares
within one run); valgrind counts instructions, which repeat run after run for the same build. Each case runs in
process (ASGI calls on uvloop, the session in PostgreSQL, as tests/load/test_perf_guard.py makes them) twice
under callgrind, with 50 and then 50 + N requests: the difference over N is one request's instructions, with
imports and startup cancelled out. Instructions are not time (Ed25519's arithmetic runs at a higher IPC than the
interpreter): they attribute where the work goes; hot_paths.py measures what it costs.

The cases are the servers of benchmarks/hot_apps.py, plus `ed25519-sign` (one signature of a JWT-sized message
through the jwt plugin's signer, libsodium) and get-session without the jwt plugin (`HOT_PLUGINS=bearer`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ROOT, SECRET, fresh_pg_database

WARM_UP = 50

# name: (app, path, extra environment)
CASES: dict[str, tuple[str, str, dict[str, str]]] = {
    "library plain route": ("library", "/plain", {}),
    "floor plain route": ("floor", "/plain", {}),
    "library get-session cookie": ("library", "/api/auth/get-session", {}),
    "library get-session cookie, no jwt plugin": ("library", "/api/auth/get-session", {"HOT_PLUGINS": "bearer"}),
    "floor session": ("floor", "/session", {}),
    "floor session signing a JWT": ("floor", "/session-jwt", {}),
    "library CurrentUser cookie": ("library", "/me", {}),
    "floor session through CurrentUser's dependency tree": ("floor", "/me", {}),
    "ed25519-sign": ("", "", {}),
}

# label: (reference, ours): reference instructions over ours, as the requests/s ratios read (higher is better)
RATIOS = {
    "plain route, bare FastAPI / library": ("floor plain route", "library plain route"),
    "lean session check / get-session": ("floor session", "library get-session cookie"),
    "lean session check / get-session without the jwt plugin": (
        "floor session",
        "library get-session cookie, no jwt plugin",
    ),
    "lean check signing a JWT / get-session": ("floor session signing a JWT", "library get-session cookie"),
    "lean session check / CurrentUser": ("floor session", "library CurrentUser cookie"),
    "lean check through CurrentUser's dependency tree / CurrentUser": (
        "floor session through CurrentUser's dependency tree",
        "library CurrentUser cookie",
    ),
}


def worker(case: str, requests: int) -> None:
    """One case in this process: sign up, warm up, then ``requests`` requests (run under callgrind)."""
    app_name, path, _ = CASES[case]
    if not app_name:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from fastapi_betterauth.crypto.jwt import JWSSigner

        signer, message = JWSSigner(Ed25519PrivateKey.generate(), "EdDSA"), b"h" * 40 + b"." + b"c" * 400
        for _ in range(requests):
            signer.signature(message)
        return
    import httpx
    import uvloop

    sys.path.insert(0, str(ROOT))
    import benchmarks.hot_apps as apps
    from tests.load.test_perf_guard import call

    async def run() -> None:
        library, floor = apps.library, apps.floor
        async with library.router.lifespan_context(library), floor.router.lifespan_context(floor):
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=library), base_url=apps.BASE_URL)
            signed = await client.post(
                "/api/auth/sign-up/email",
                headers={"Origin": "http://localhost:3000"},
                json={"email": f"i{os.getpid()}@bench.dev", "password": "password123", "name": "B"},
            )
            signed.raise_for_status()
            headers = [(b"cookie", signed.headers["set-cookie"].split(";", 1)[0].encode())]
            app = library if app_name == "library" else floor
            status, body = await call(app, path, headers)
            if status != 200:
                raise RuntimeError(f"{case}: {status} {body[:200]!r}")
            for _ in range(requests):
                await call(app, path, headers)

    uvloop.run(run())


def _instructions(case: str, requests: int, dsn: str) -> int:
    env = {
        **os.environ,
        **CASES[case][2],
        "PYTHONHASHSEED": "0",  # the same dict layouts in both runs
        "BETTER_AUTH_SECRET": SECRET,
        "DATABASE_URL": dsn.replace("postgresql://", "postgresql+asyncpg://"),
    }
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__]
    done = subprocess.run(
        [*command, "--worker", case, str(requests)], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{case} failed under callgrind:\n{done.stderr[-3000:]}")
    return int(found.group(1))


def per_request(case: str, requests: int, dsn: str) -> float:
    return (_instructions(case, WARM_UP + requests, dsn) - _instructions(case, WARM_UP, dsn)) / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400, help="requests counted per case")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--worker", nargs=2, metavar=("CASE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]))
        return
    if not shutil.which("valgrind"):
        sys.exit("instructions.py needs valgrind (apt-get install valgrind)")
    dsn = fresh_pg_database()
    if dsn is None:
        sys.exit("instructions.py needs PostgreSQL")
    from fastapi_betterauth.migrations import upgrade

    for branch in ("better_auth@head", "better_auth_jwt@head"):
        upgrade(dsn, branch)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        counted = dict(zip(CASES, pool.map(lambda case: per_request(case, args.requests, dsn), CASES), strict=True))
    width = max(len(k) for k in [*CASES, *RATIOS])
    for case, count in counted.items():
        print(f"{case:<{width}}  {count / 1000:>8,.0f} k instructions per request")
    ratios = {label: round(counted[ref] / counted[ours], 3) for label, (ref, ours) in RATIOS.items()}
    ratios["share of get-session in the Ed25519 signature"] = round(
        counted["ed25519-sign"] / counted["library get-session cookie"], 3
    )
    for label, value in ratios.items():
        print(f"{label:<{width}}  {value}")
    if args.json:
        args.json.write_text(json.dumps({"instructions_per_request": counted, "ratios": ratios}, indent=2))


if __name__ == "__main__":
    main()
