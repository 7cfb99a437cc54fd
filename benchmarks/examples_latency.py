"""Latency of the example backends against their seeds' targets (p50/p95 in ms, real uvicorn, loopback).

Seed 002: JWT validation < 10 ms p95, create < 200 ms p95, retrieve < 100 ms p95.
Seed 004: JWT validation < 100 ms, conversation history < 500 ms p95.
Run alone (`python benchmarks/examples_latency.py [DATABASE_URL]`) or as part of `nox -s bench`.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt as pyjwt

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-examples-secret-0123456789abcdef0123456789"
ORIGIN = "http://localhost:3000"
sys.path.insert(0, str(Path(__file__).parent))

from run import free_port, wait_ready  # noqa: E402


@contextmanager
def example_server(example: str, database_url: str) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BETTER_AUTH_SECRET": SECRET,
        "BETTER_AUTH_URL": url,
        "BETTER_AUTH_TRUSTED_ORIGINS": ORIGIN,
        "RAG_RETENTION_DAYS": "0",
    }
    app = f"examples.{example}.app.main:app"
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--log-level", "warning"], cwd=ROOT, env=env
    )
    try:
        wait_ready(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def percentiles(call: Callable[[int], Awaitable[httpx.Response]], n: int, concurrency: int) -> dict[str, float]:
    """Run ``call(i)`` n times, ``concurrency`` at once; p50/p95/max in ms. Every answer must be 2xx."""
    timings: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            started = time.perf_counter()
            response = await call(i)
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code >= 300:
                raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text[:200]}")

    await asyncio.gather(*(one(i) for i in range(n)))
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
        "max_ms": round(timings[-1], 2),
    }


async def credentials(client: httpx.AsyncClient, email: str) -> dict[str, dict[str, str]]:
    r = await client.post(
        "/api/auth/sign-up/email",
        json={"email": email, "password": "password123", "name": "Bench"},
        headers={"Origin": ORIGIN},
    )
    r.raise_for_status()
    user_id = r.json()["user"]["id"]
    eddsa = (await client.get("/api/auth/token")).json()["token"]
    hs256 = pyjwt.encode({"sub": user_id, "exp": int(time.time()) + 3600}, SECRET, algorithm="HS256")
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    client.cookies.clear()
    return {
        "cookie": {"cookie": cookie, "origin": ORIGIN},
        "eddsa": {"authorization": f"Bearer {eddsa}"},
        "hs256": {"authorization": f"Bearer {hs256}"},
    }


async def todo(url: str, n: int, concurrency: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as c:
        cred = await credentials(c, "todo@bench.dev")
        out: dict[str, Any] = {}
        out["create_cookie"] = await percentiles(
            lambda i: c.post("/api/tasks", json={"title": f"t{i}"}, headers=cred["cookie"]), n, concurrency
        )
        first = (await c.get("/api/tasks", headers=cred["cookie"])).json()[0]["id"]
        out["list_200_tasks_cookie"] = await percentiles(
            lambda i: c.get("/api/tasks", headers=cred["cookie"]), n, concurrency
        )
        for kind in ("eddsa", "hs256"):
            out[f"get_one_{kind}_jwt"] = await percentiles(
                lambda i, k=kind: c.get(f"/api/tasks/{first}", headers=cred[k]), n, concurrency
            )
        return out


async def rag_chat(url: str, n: int, concurrency: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as c:
        cred = await credentials(c, "rag@bench.dev")
        conv = (await c.post("/api/conversations", json={"title": "bench"}, headers=cred["cookie"])).json()["id"]
        out: dict[str, Any] = {}
        out["ask_eddsa_jwt"] = await percentiles(
            lambda i: c.post(
                f"/api/conversations/{conv}/messages",
                json={"content": f"How long do sessions last? ({i})"},
                headers=cred["eddsa"],
            ),
            n,
            concurrency,
        )
        for i in range(50):
            await c.post("/api/conversations", json={"title": f"c{i}"}, headers=cred["cookie"])
        out["history_page"] = await percentiles(
            lambda i: c.get("/api/conversations", headers=cred["eddsa"]), n, concurrency
        )
        out["history_search"] = await percentiles(
            lambda i: c.get("/api/conversations", params={"q": "sessions"}, headers=cred["eddsa"]), n, concurrency
        )
        return out


def measure(database_url: str, n: int = 300, concurrency: int = 10) -> dict[str, Any]:
    results: dict[str, Any] = {"requests_each": n, "concurrency": concurrency}
    with example_server("todo", database_url) as url:
        results["todo"] = asyncio.run(todo(url, n, concurrency))
    with example_server("rag_chat", database_url) as url:
        results["rag_chat"] = asyncio.run(rag_chat(url, n, concurrency))
    return results


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "database_url", nargs="?", default=f"sqlite+aiosqlite:///{ROOT}/.benchmarks/examples-{os.getpid()}.db"
    )
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    (ROOT / ".benchmarks").mkdir(exist_ok=True)
    print(json.dumps(measure(args.database_url, args.requests, args.concurrency), indent=2))
