"""Time of a full social sign-in against a loopback OpenID Connect provider, success and error paths.

The provider is tests/social/idp_mock.mjs (oauth2-mock-server); our app runs in-process on SQLite. A flow is
the browser's three hops: POST /sign-in/social, GET the provider's authorize URL, GET our callback (which
exchanges the code, verifies the id token and creates the user/session). Run: ``python benchmarks/social_flow.py``.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
SOCIAL = ROOT / "tests" / "social"


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 2),
        "n": len(ordered),
    }


async def _measure(issuer: str, rounds: int) -> dict[str, Any]:
    from asgi_lifespan import LifespanManager
    from fastapi import FastAPI

    from fastapi_betterauth import AuthSettings, BetterAuth, generic_oauth, oidc

    async def control(path: str, body: dict[str, Any]) -> None:
        async with httpx.AsyncClient() as c:
            (await c.post(f"{issuer}/__control/{path}", json=body)).raise_for_status()

    tmp = tempfile.mkdtemp()
    provider = oidc(
        "local", client_id="c", client_secret="s", discovery_url=f"{issuer}/.well-known/openid-configuration"
    )
    auth = BetterAuth(
        AuthSettings(
            secret="bench-secret-0123456789abcdef0123456789",
            base_url="http://localhost:8000",
            environment="test",
            account={"provider_timeout": 1.0},
        ),
        database=f"sqlite+aiosqlite:///{tmp}/social.db",
        plugins=[generic_oauth([provider])],
    )
    await auth.create_schema()
    app = FastAPI()
    app.include_router(auth.router)
    results: dict[str, Any] = {}
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        browser = httpx.AsyncClient()

        async def flow(client: httpx.AsyncClient, *, cookie: bool = True) -> str:
            started = await client.post(
                "/api/auth/sign-in/social",
                json={"provider": "local", "callbackURL": "/dash", "errorCallbackURL": "/oops"},
                headers={"origin": "http://localhost:8000"},
            )
            back = (await browser.get(started.json()["url"])).headers["location"]
            if not cookie:
                client.cookies.clear()
            done = await client.get(httpx.URL(back).raw_path.decode())
            return str(done.headers["location"])

        async def timed(label: str, expect: str, setup: dict[str, Any] | None = None, **kw: Any) -> None:
            samples = []
            for i in range(rounds):
                await control(
                    "profile", {"sub": f"u-{label}-{i}", "email": f"{label}-{i}@bench.dev", "email_verified": True}
                )
                if setup:
                    await control("fail", setup)
                async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as client:
                    began = time.perf_counter()
                    target = await flow(client, **kw)
                    samples.append(time.perf_counter() - began)
                assert target.startswith(expect), (label, target)
            results[label] = _percentiles(samples)

        await flow(httpx.AsyncClient(transport=transport, base_url="http://localhost:8000"))  # warm: discovery, keys
        await timed("sign_up", "/dash")
        await timed("state_mismatch", "/oops?error=state_mismatch", cookie=False)
        await timed("access_denied", "/oops?error=access_denied", {"endpoint": "authorize", "mode": "deny"})
        await timed(
            "token_endpoint_503", "/oops?error=invalid_code", {"endpoint": "token", "mode": "status", "status": 503}
        )
        await timed(
            "token_endpoint_hangs_1s_timeout", "/oops?error=invalid_code", {"endpoint": "token", "mode": "hang"}
        )
        await browser.aclose()
    await auth.close()
    return results


def measure(rounds: int = 20) -> dict[str, Any]:
    """Start the loopback provider, time the flows, stop it."""
    process = subprocess.Popen(
        ["node", str(SOCIAL / "idp_mock.mjs"), "0"], cwd=SOCIAL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        assert process.stdout is not None
        issuer = json.loads(process.stdout.readline())["url"]
        return asyncio.run(_measure(issuer, rounds))
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    print(json.dumps(measure(), indent=2))
