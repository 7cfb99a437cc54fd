"""Hot paths side by side in one run: this library, a real Better Auth 1.7.24 server and hand-written floors.

    python benchmarks/hot_paths.py [--seconds 5] [--json out.json]      (also part of `nox -s bench`)

Every server runs under one process pinned to CPU 0 (`taskset`) on the same fresh PostgreSQL database; `wrk`
runs pinned to CPU 1. For each workload it reports requests/s, p99 latency and the server's CPU time per
request (from /proc, so the load generator's cost is not counted), and the ratios the performance issue
sets targets for (docs/performance.md):

* get-session (cookie and bearer, jwt plugin on, c=32 and c=100): vs TypeScript Better Auth, and vs a lean
  FastAPI + asyncpg session check (HMAC + one indexed join) — benchmarks/hot_apps.py `floor`;
* `CurrentUser` on a route with a cookie: vs the same lean session check;
* `require_jwt()` (EdDSA, jwt plugin keys): vs FastAPI + PyJWT verifying the same token with a cached key;
* a route without auth in an app that mounts the library: vs the same route in bare FastAPI;
* sign-in throughput (scrypt, both at Better Auth's parameters) vs TypeScript, and a trivial request's p99
  while 20 sign-ins run; the library server's peak RSS.

Two more ratios attribute the gaps rather than set targets: get-session against the lean check that also signs
an EdDSA JWT (what the jwt plugin adds to every get-session answer), and `CurrentUser` against the lean check
reached through a FastAPI dependency tree of the same shape.

Needs wrk, taskset, PostgreSQL, and node with tests/interop/node_modules for the TypeScript side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import INTEROP, ORIGIN, ROOT, SECRET, free_port, fresh_pg_database, wait_ready

TICKS = os.sysconf("SC_CLK_TCK")
PASSWORD = "password123"


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime

    def peak_rss_mib(self) -> float:
        """The process's peak resident memory since :meth:`reset_peak_rss` (or its start)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def reset_peak_rss(self) -> None:
        """Start a new peak: each figure is the peak of its own phase (sign-up's scrypt buffers, 32 MiB
        while it runs and returned after, must not count as get-session's memory)."""
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")


def _pinned(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []


@contextmanager
def start(kind: str, dsn: str, **env: str) -> Iterator[Server]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environ = {**os.environ, "BETTER_AUTH_SECRET": SECRET, "BETTER_AUTH_URL": url, **env}
    if kind == "typescript":
        environ.update(PORT=str(port), DATABASE_URL=dsn, PLUGINS="bearer,jwt")
        args = ["node", str(INTEROP / "ts_server.mjs")]
        cwd, ready = INTEROP, "/api/auth/ok"
    else:
        environ["DATABASE_URL"] = dsn.replace("postgresql://", "postgresql+asyncpg://")
        app = f"benchmarks.hot_apps:{kind}"
        args = [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--log-level", "warning", "--no-access-log"]
        cwd, ready = ROOT, "/plain"
    process = subprocess.Popen([*_pinned(0), *args], cwd=cwd, env=environ)
    try:
        wait_ready(url, process, path=ready)
        yield Server(url, process)
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class Figure:
    rps: float
    p99_ms: float
    cpu_us: float

    def as_dict(self) -> dict[str, float]:
        return {"rps": round(self.rps, 1), "p99_ms": round(self.p99_ms, 2), "cpu_us_per_request": round(self.cpu_us)}


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if found is None:
        raise RuntimeError(f"cannot read wrk's latency {text!r}")
    number, unit = found.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def load(server: Server, path: str, header: tuple[str, str] | None, seconds: int, connections: int) -> Figure:
    """wrk against one route: requests/s, p99, and the server's CPU per request."""
    args = [*_pinned(1), "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if header is not None:
        args += ["-H", f"{header[0]}: {header[1]}"]
    subprocess.run([*args[:-4], "-d1s", f"{server.url}{path}"], capture_output=True, check=True)  # warm-up
    before = server.cpu_seconds()
    out = subprocess.run([*args, f"{server.url}{path}"], capture_output=True, text=True, check=True).stdout
    spent = server.cpu_seconds() - before
    if "Non-2xx" in out:
        raise RuntimeError(f"failed requests against {path}:\n{out}")
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    return Figure(rps, p99, spent / total * 1e6 if total else 0.0)


def credentials(server: Server, email: str) -> dict[str, str]:
    """Sign up: the cookie header, the bearer session token and (when the jwt plugin is on) a JWT."""
    signed = httpx.post(
        f"{server.url}/api/auth/sign-up/email", headers=ORIGIN, json={"email": email, "password": PASSWORD, "name": "B"}
    )
    signed.raise_for_status()
    cookie = "; ".join(c.split(";", 1)[0] for c in signed.headers.get_list("set-cookie"))
    found = {"cookie": cookie, "bearer": signed.headers["set-auth-token"]}
    token = httpx.get(f"{server.url}/api/auth/token", headers={"Cookie": cookie})
    if token.status_code == 200:
        found["jwt"] = token.json()["token"]
    return found


async def _sign_ins(url: str, email: str, seconds: float, concurrency: int = 20) -> dict[str, float]:
    """Sign-ins per second at ``concurrency``, and a trivial request's latency meanwhile."""
    async with httpx.AsyncClient(base_url=url, timeout=120, headers=ORIGIN) as client:
        done = 0
        stop = time.monotonic() + seconds

        async def signer() -> None:
            nonlocal done
            while time.monotonic() < stop:
                answer = await client.post("/api/auth/sign-in/email", json={"email": email, "password": PASSWORD})
                answer.raise_for_status()
                done += 1

        async def prober() -> list[float]:
            samples = []
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                (await client.get("/api/auth/ok")).raise_for_status()
                samples.append((time.perf_counter() - t0) * 1000)
                await asyncio.sleep(0.02)
            return samples

        started = time.monotonic()
        results = await asyncio.gather(prober(), *(signer() for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    samples = sorted(results[0])
    return {
        "sign_ins_per_s": round(done / elapsed, 2),
        "trivial_p50_ms": round(statistics.median(samples), 2),
        "trivial_p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 2),
    }


def ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=3, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="round-robin passes; medians are reported")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("hot_paths.py needs wrk (apt-get install wrk)")
    dsn = fresh_pg_database()
    if dsn is None:
        sys.exit("hot_paths.py needs PostgreSQL")
    from fastapi_betterauth.migrations import upgrade

    for branch in ("better_auth@head", "better_auth_jwt@head"):  # the core tables and the jwt plugin's
        upgrade(dsn, branch)
    has_ts = shutil.which("node") is not None and (INTEROP / "node_modules" / "better-auth").exists()
    s = args.seconds
    figures: dict[str, dict[str, float]] = {}
    results: dict[str, object] = {"cpus": os.cpu_count(), "pinned": bool(_pinned(0)), "figures": figures}

    # All servers up at once (idle when not loaded); every workload is measured in `--rounds` round-robin
    # passes and its median kept, so drift of a shared machine hits ours and the references alike.
    with ExitStack() as servers:
        lib = servers.enter_context(start("library", dsn))
        creds = credentials(lib, "lib@bench.dev")
        cookie, bearer = ("Cookie", creds["cookie"]), ("Authorization", f"Bearer {creds['bearer']}")
        jwt_header = ("Authorization", f"Bearer {creds['jwt']}") if "jwt" in creds else None  # HOT_PLUGINS=bearer
        floor = servers.enter_context(
            start(
                "floor",
                dsn,
                **({"FLOOR_JWKS_URL": f"{lib.url}/api/auth/jwks", "FLOOR_ISSUER": lib.url} if "jwt" in creds else {}),
            )
        )
        workloads: dict[str, tuple[Server, str, tuple[str, str] | None, int]] = {}
        for c in (32, 100):
            workloads[f"library get-session cookie c={c}"] = (lib, "/api/auth/get-session", cookie, c)
            workloads[f"library get-session bearer c={c}"] = (lib, "/api/auth/get-session", bearer, c)
            workloads[f"floor session c={c}"] = (floor, "/session", cookie, c)
        workloads["library CurrentUser cookie c=32"] = (lib, "/me", cookie, 32)
        workloads["floor session through CurrentUser's dependency tree c=32"] = (floor, "/me", cookie, 32)
        if jwt_header is not None:
            workloads["floor session signing a JWT c=32"] = (floor, "/session-jwt", cookie, 32)
            workloads["library require_jwt c=32"] = (lib, "/claims", jwt_header, 32)
            workloads["floor PyJWT c=32"] = (floor, "/jwt", jwt_header, 32)
        workloads["library plain route c=32"] = (lib, "/plain", None, 32)
        workloads["floor plain route c=32"] = (floor, "/plain", None, 32)
        if has_ts:
            ts = servers.enter_context(start("typescript", dsn))
            ts_creds = credentials(ts, "ts@bench.dev")
            ts_cookie = ("Cookie", ts_creds["cookie"])
            ts_bearer = ("Authorization", f"Bearer {ts_creds['bearer']}")
            for c in (32, 100):
                workloads[f"typescript get-session cookie c={c}"] = (ts, "/api/auth/get-session", ts_cookie, c)
                workloads[f"typescript get-session bearer c={c}"] = (ts, "/api/auth/get-session", ts_bearer, c)
        else:
            print("node or tests/interop/node_modules missing: no TypeScript comparison", file=sys.stderr)
        samples: dict[str, list[Figure]] = {name: [] for name in workloads}
        lib.reset_peak_rss()  # after the sign-ups: the peak of the request workloads alone
        for _ in range(args.rounds):
            for name, (server, path, header, c) in workloads.items():
                samples[name].append(load(server, path, header, s, c))
        for name, taken in samples.items():
            figures[name] = Figure(
                statistics.median(f.rps for f in taken),
                statistics.median(f.p99_ms for f in taken),
                statistics.median(f.cpu_us for f in taken),
            ).as_dict()
        results["library_peak_rss_mib_under_load"] = round(lib.peak_rss_mib(), 1)  # get-session at c=100 included
        results["library_sign_in"] = asyncio.run(_sign_ins(lib.url, "lib@bench.dev", max(s, 5)))
        lib.reset_peak_rss()
        asyncio.run(_sign_ins(lib.url, "lib@bench.dev", 3, concurrency=32))
        results["library_peak_rss_mib_with_32_sign_ins"] = round(lib.peak_rss_mib(), 1)
        if has_ts:
            results["typescript_sign_in"] = asyncio.run(_sign_ins(ts.url, "ts@bench.dev", max(s, 5)))

    def rps(name: str) -> float:
        return figures.get(name, {}).get("rps", 0.0)

    def cpu(name: str) -> float:
        return figures.get(name, {}).get("cpu_us_per_request", 0.0)

    ratios: dict[str, object] = {}
    pairs: list[tuple[str, str, str]] = []  # (label, ours, reference): ratio of requests/s
    for kind in ("cookie", "bearer"):
        for c in (32, 100):
            ours = f"library get-session {kind} c={c}"
            if has_ts:
                pairs.append(
                    (f"get-session {kind} c={c} vs TypeScript (>= 5)", ours, f"typescript get-session {kind} c={c}")
                )
            pairs.append((f"get-session {kind} c={c} vs lean floor (>= 0.8)", ours, f"floor session c={c}"))
    pairs += [
        ("CurrentUser cookie vs lean floor (>= 0.8)", "library CurrentUser cookie c=32", "floor session c=32"),
        ("plain route vs bare FastAPI (>= 0.95)", "library plain route c=32", "floor plain route c=32"),
    ]
    # Attribution, not targets: the lean check plus, alone, the JWT the jwt plugin signs on every get-session,
    # or FastAPI's solving of CurrentUser's dependency tree (docs/performance.md, "What remains").
    jwt_floor = "floor session signing a JWT c=32"
    if jwt_floor in figures:
        pairs.append(
            ("get-session cookie c=32 vs lean floor signing a JWT too", "library get-session cookie c=32", jwt_floor)
        )
    tree_floor = "floor session through CurrentUser's dependency tree c=32"
    pairs.append(
        ("CurrentUser vs lean floor through the same dependency tree", "library CurrentUser cookie c=32", tree_floor)
    )
    if "library require_jwt c=32" in figures:
        pairs.append(("require_jwt vs FastAPI + PyJWT (>= 0.9)", "library require_jwt c=32", "floor PyJWT c=32"))
    for label, ours, reference in pairs:
        ratios[label] = ratio(rps(ours), rps(reference))
    if has_ts:
        for kind in ("cookie", "bearer"):
            for c in (32, 100):
                ours, theirs = (
                    figures[f"library get-session {kind} c={c}"],
                    figures[f"typescript get-session {kind} c={c}"],
                )
                ratios[f"get-session {kind} c={c} p99 vs TypeScript (<= 0.25)"] = ratio(
                    ours["p99_ms"], theirs["p99_ms"]
                )
        ours_si, theirs_si = results["library_sign_in"], results["typescript_sign_in"]
        assert isinstance(ours_si, dict) and isinstance(theirs_si, dict)
        ratios["sign-in vs TypeScript (>= 0.95)"] = ratio(ours_si["sign_ins_per_s"], theirs_si["sign_ins_per_s"])
    ratios["CPU per get-session cookie / lean floor"] = ratio(
        cpu("library get-session cookie c=32"), cpu("floor session c=32")
    )
    results["ratios"] = ratios

    width = max(len(k) for k in [*figures, *ratios])
    for name, f in figures.items():
        rate, p99, spent = f["rps"], f["p99_ms"], f["cpu_us_per_request"]
        print(f"{name:<{width}}  {rate:>9,.0f} req/s  p99 {p99:>7.2f} ms  {spent:>6,.0f} µs CPU")
    for name, value in ratios.items():
        print(f"{name:<{width}}  {value}")
    extras = ("library_sign_in", "typescript_sign_in", "library_peak_rss_mib_under_load")
    for key in (*extras, "library_peak_rss_mib_with_32_sign_ins"):
        if key in results:
            print(f"{key}: {results[key]}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
