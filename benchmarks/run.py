"""Benchmarks: figures, not pass/fail. Run with `python3 -m nox -s bench`.

1. get-session throughput of this library (SQLite and PostgreSQL) and, when node and the pinned npm
   better-auth are installed (tests/interop), of a real Better Auth 1.7.24 server on the same
   PostgreSQL database, measured the same way.
2. Latency of a trivial request while 20 sign-ins (real scrypt) are in flight, against an idle baseline:
   hashing runs in worker threads, so the event loop keeps answering.
3. Latency percentiles of the example backends against their seeds' targets (benchmarks/examples_latency.py).

Load is generated with `wrk` when it is installed (apt-get install wrk), else with an asyncio httpx client
(slower, so figures from the two are not comparable). Everything runs on loopback and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
INTEROP = ROOT / "tests" / "interop"
SECRET = "load-test-secret-0123456789abcdef0123456789"  # = tests/load/server_app.py: shared jwks keys
ORIGIN = {"Origin": "http://localhost:3000"}
PG_ADMIN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60, path: str = "/api/auth/ok") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}{path}", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not start")


@contextmanager
def python_server(database_url: str, plugins: str = "", app: str = "tests.load.server_app:app") -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BETTER_AUTH_URL": url,
        "MAIL_LOG": str(ROOT / ".benchmarks" / f"mail-{port}.jsonl"),
        "PLUGINS": plugins,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_ready(url, proc, path="/api/auth/ok" if "server_app" in app else "/token-for-bench")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def ts_server(pg_dsn: str, plugins: str = "") -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PORT": str(port),
        "DATABASE_URL": pg_dsn,
        "BETTER_AUTH_SECRET": SECRET,
        "BETTER_AUTH_URL": url,
        "PLUGINS": plugins,
    }
    proc = subprocess.Popen(["node", str(INTEROP / "ts_server.mjs")], cwd=INTEROP, env=env)
    try:
        wait_ready(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def session_cookie(url: str, email: str) -> str:
    r = httpx.post(
        f"{url}/api/auth/sign-up/email",
        headers=ORIGIN,
        json={"email": email, "password": "password123", "name": "Bench"},
    )
    r.raise_for_status()
    return "; ".join(c.split(";", 1)[0] for c in r.headers.get_list("set-cookie"))


def load(
    url: str,
    cookie: str,
    seconds: int,
    connections: int = 32,
    *,
    path: str = "/api/auth/get-session",
    header: str = "Cookie",
) -> float:
    """Requests per second for ``GET path`` with one credential header (default: the session cookie)."""
    target = f"{url}{path}"
    if shutil.which("wrk"):
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-H", f"{header}: {cookie}", target],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        match = re.search(r"Requests/sec:\s+([\d.]+)", out)
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if non2xx:
            raise RuntimeError(f"{non2xx.group(1)} failed requests against {target}")
        return float(match.group(1)) if match else 0.0
    return asyncio.run(_httpx_load(target, {header: cookie}, seconds, connections))


async def _httpx_load(target: str, headers: dict[str, str], seconds: int, connections: int) -> float:
    count = 0
    stop = time.monotonic() + seconds
    async with httpx.AsyncClient(headers=headers, limits=httpx.Limits(max_connections=connections)) as c:

        async def worker() -> None:
            nonlocal count
            while time.monotonic() < stop:
                (await c.get(target)).raise_for_status()
                count += 1

        start = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(connections)))
        return count / (time.monotonic() - start)


async def _latency_under_sign_ins(url: str) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as c:
        await c.post(
            "/api/auth/sign-up/email",
            headers=ORIGIN,
            json={"email": "hash@bench.dev", "password": "password123", "name": "H"},
        )

        async def probe(n: int) -> list[float]:
            samples = []
            for _ in range(n):
                t0 = time.perf_counter()
                (await c.get("/api/auth/ok")).raise_for_status()
                samples.append((time.perf_counter() - t0) * 1000)
                await asyncio.sleep(0.01)
            return samples

        idle = await probe(30)

        async def sign_in() -> None:
            (
                await c.post(
                    "/api/auth/sign-in/email",
                    headers=ORIGIN,
                    json={"email": "hash@bench.dev", "password": "password123"},
                )
            ).raise_for_status()

        t0 = time.perf_counter()
        sign_ins = asyncio.gather(*(sign_in() for _ in range(20)))
        busy = await probe(30)
        await sign_ins
        total = time.perf_counter() - t0
    return {
        "idle_p50_ms": statistics.median(idle),
        "busy_p50_ms": statistics.median(busy),
        "busy_max_ms": max(busy),
        "twenty_sign_ins_s": total,
    }


async def _enumeration_timing(url: str, rounds: int = 15) -> dict[str, float]:
    """Median latency of answers for known vs unknown accounts: they must not tell the two apart."""
    async with httpx.AsyncClient(base_url=url, timeout=60, headers=ORIGIN) as c:
        await c.post(
            "/api/auth/sign-up/email", json={"email": "known@bench.dev", "password": "password123", "name": "K"}
        )
        c.cookies.clear()

        async def median_ms(path: str, body: dict[str, str]) -> float:
            samples = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                await c.post(path, json=body)
                samples.append((time.perf_counter() - t0) * 1000)
            return round(statistics.median(samples), 2)

        sign_in = "/api/auth/sign-in/email"
        reset = "/api/auth/request-password-reset"
        return {
            "sign_in_wrong_password_p50_ms": await median_ms(
                sign_in, {"email": "known@bench.dev", "password": "nope-nope"}
            ),
            "sign_in_unknown_email_p50_ms": await median_ms(
                sign_in, {"email": "ghost@bench.dev", "password": "nope-nope"}
            ),
            "reset_known_email_p50_ms": await median_ms(reset, {"email": "known@bench.dev"}),
            "reset_unknown_email_p50_ms": await median_ms(reset, {"email": "ghost@bench.dev"}),
        }


def _jwt_route_comparison(seconds: int) -> dict[str, float]:
    """A require_jwt route vs a bare PyJWT route, same token, same process, measured back to back."""
    with python_server("", app="benchmarks.jwt_app:app") as url:
        token = httpx.get(f"{url}/token-for-bench").json()["token"]
        auth = f"Bearer {token}"
        for path in ("/protected", "/bare"):
            httpx.get(f"{url}{path}", headers={"Authorization": auth}).raise_for_status()
        load(url, auth, 1, path="/bare", header="Authorization")  # warm-up
        bare = load(url, auth, seconds, path="/bare", header="Authorization")
        ours = load(url, auth, seconds, path="/protected", header="Authorization")
        bare_again = load(url, auth, seconds, path="/bare", header="Authorization")
    baseline = (bare + bare_again) / 2
    return {
        "require_jwt_rps": round(ours, 1),
        "bare_pyjwt_rps": round(baseline, 1),
        "ratio": round(ours / baseline, 3) if baseline else 0.0,
    }


def fresh_pg_database() -> str | None:
    try:
        import asyncpg
    except ImportError:
        return None

    async def create() -> str:
        conn = await asyncpg.connect(PG_ADMIN, timeout=5)
        name = f"fba_bench_{os.getpid()}"
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        return PG_ADMIN.rpartition("/")[0] + "/" + name

    try:
        return asyncio.run(create())
    except Exception as exc:  # any failure means "no PostgreSQL here"
        print(f"PostgreSQL unavailable ({exc}); skipping PostgreSQL figures")
        return None


def _rate_limit_figures() -> dict[str, float]:
    """Limiter cost per request, and the memory store's size at its 100,000-key bound."""
    import gc
    import time as clock
    import tracemalloc

    from fastapi_betterauth.protection.counters import MemoryCounters, Rule, StorageCounters

    async def measure() -> dict[str, float]:
        rule, figures = Rule(10, 100), {}
        counters = MemoryCounters()
        gc.collect()
        tracemalloc.start()
        start = clock.perf_counter()
        for i in range(100_000):
            await counters.consume(f"198.51.{i // 256 % 256}.{i % 256}-{i}|/sign-in/email", rule)
        figures["memory_consume_us"] = round((clock.perf_counter() - start) * 10, 2)  # per call, µs
        figures["memory_100k_keys_mb"] = round(tracemalloc.get_traced_memory()[0] / 1e6, 1)
        tracemalloc.stop()
        try:
            from fastapi_betterauth.storage import RedisStorage

            storage = RedisStorage(key_prefix=f"bench-{os.getpid()}:")
            redis_counters = StorageCounters(storage)
            start = clock.perf_counter()
            for i in range(2_000):
                await redis_counters.consume(f"203.0.113.{i % 200}|/get-session", rule)
            figures["redis_consume_us"] = round((clock.perf_counter() - start) * 500, 1)
            keys = [k async for k in storage.client.scan_iter(match=storage.key_prefix + "*")]
            if keys:
                await storage.client.delete(*keys)
            await storage.close()
        except Exception as error:  # no Redis here: the figure is simply absent
            print(f"no Redis figure: {type(error).__name__}")
        return figures

    return asyncio.run(measure())


def _revocation_figures() -> dict[str, float]:
    """Added cost per JWT verification of ``jwt(revocation=True)``: one lookup, in memory or in Redis."""
    import time as clock

    from fastapi_betterauth.plugins.jwt.revocation import RevocationList
    from fastapi_betterauth.storage import MemoryStorage

    async def measure() -> dict[str, float]:
        figures: dict[str, float] = {}
        memory = RevocationList(MemoryStorage(), token_lifetime=900)
        await memory.sessions_ended([{"id": f"s{i}"} for i in range(10_000)])
        claims = {"sub": "u", "sid": "live-session"}
        start = clock.perf_counter()
        for _ in range(100_000):
            await memory.check(claims)
        figures["memory_check_us"] = round((clock.perf_counter() - start) * 10, 2)
        try:
            from fastapi_betterauth.storage import RedisStorage

            storage = RedisStorage(key_prefix=f"bench-rev-{os.getpid()}:")
            redis_list = RevocationList(storage, token_lifetime=900)
            start = clock.perf_counter()
            for _ in range(2_000):
                await redis_list.check(claims)
            figures["redis_check_us"] = round((clock.perf_counter() - start) * 500, 1)
            await storage.close()
        except Exception as error:  # no Redis here: the figure is simply absent
            print(f"no Redis figure: {type(error).__name__}")
        return figures

    return asyncio.run(measure())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, object] = {"load_generator": "wrk" if shutil.which("wrk") else "httpx"}

    tmp = ROOT / ".benchmarks"
    tmp.mkdir(exist_ok=True)
    sqlite_url = f"sqlite+aiosqlite:///{tmp}/bench-{os.getpid()}.db"
    with python_server(sqlite_url) as url:
        results["python_sqlite_get_session_rps"] = load(url, session_cookie(url, "s@bench.dev"), args.seconds)
        results["hashing"] = asyncio.run(_latency_under_sign_ins(url))
        results["enumeration_timing_sqlite"] = asyncio.run(_enumeration_timing(url))

    results["jwt_protected_route"] = _jwt_route_comparison(args.seconds)
    results["rate_limit"] = _rate_limit_figures()
    results["jwt_revocation_check"] = _revocation_figures()
    if shutil.which("node") and (INTEROP / "node_modules" / "oauth2-mock-server").exists():
        from social_flow import measure as measure_social

        results["social_sign_in_flow"] = measure_social()
    from examples_latency import measure as measure_examples

    results["examples_sqlite"] = measure_examples(f"sqlite+aiosqlite:///{tmp}/examples-{os.getpid()}.db")

    dsn = fresh_pg_database()
    if dsn:
        with python_server(dsn.replace("postgresql://", "postgresql+asyncpg://")) as url:
            results["python_postgres_get_session_rps"] = load(url, session_cookie(url, "p@bench.dev"), args.seconds)
            results["enumeration_timing_postgres"] = asyncio.run(_enumeration_timing(url))
        results["examples_postgres"] = measure_examples(dsn.replace("postgresql://", "postgresql+asyncpg://"))
        has_node = shutil.which("node") and (INTEROP / "node_modules" / "better-auth").exists()
        if has_node and (INTEROP / "ts_server.mjs").exists():
            with ts_server(dsn) as url:
                cookie = session_cookie(url, "t@bench.dev")
                results["typescript_postgres_get_session_rps"] = load(url, cookie, args.seconds)
            py = results["python_postgres_get_session_rps"]
            ts = results["typescript_postgres_get_session_rps"]
            assert isinstance(py, float) and isinstance(ts, float)
            results["python_over_typescript"] = round(py / ts, 2) if ts else None
            with python_server(dsn.replace("postgresql://", "postgresql+asyncpg://"), plugins="bearer,jwt") as url:
                cookie = session_cookie(url, "pj@bench.dev")
                results["python_postgres_jwt_get_session_rps"] = load(url, cookie, args.seconds)
            with ts_server(dsn, plugins="bearer,jwt") as url:
                cookie = session_cookie(url, "tj@bench.dev")
                results["typescript_postgres_jwt_get_session_rps"] = load(url, cookie, args.seconds)
            pyj = results["python_postgres_jwt_get_session_rps"]
            tsj = results["typescript_postgres_jwt_get_session_rps"]
            assert isinstance(pyj, float) and isinstance(tsj, float)
            results["python_over_typescript_with_jwt"] = round(pyj / tsj, 2) if tsj else None
        else:
            print("node or tests/interop/node_modules missing: no TypeScript comparison")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
