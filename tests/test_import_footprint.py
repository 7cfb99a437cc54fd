"""A server that does not use social sign-in, remote JWKS or migrations does not load their libraries.

authlib with joserfc and its HTTP client, httpx and Alembic with Mako cost every worker about 16 MiB of
memory (docs/performance.md). They load on first use instead: a regression here is a regression of the
memory figure, so it is checked in a fresh interpreter.
"""

import json
import subprocess
import sys
from pathlib import Path

LAZY = ("authlib", "joserfc", "httpx", "httpx2", "alembic", "mako")

_SERVER = """
import asyncio, json, sys
from fastapi import FastAPI
from fastapi_betterauth import AuthSettings, BetterAuth, CurrentUser, bearer, jwt, require_jwt

auth = BetterAuth(
    AuthSettings(secret="footprint-secret-0123456789abcdef0123456789", base_url="http://localhost:8000"),
    database="sqlite+aiosqlite:///{db}",
    plugins=[bearer(), jwt()],
)
app = FastAPI(lifespan=auth.lifespan)
app.include_router(auth.router)

@app.get("/me")
async def me(user: CurrentUser) -> dict[str, str]:
    return {{"id": user.id}}

async def main() -> None:
    await auth.create_schema()  # development's schema creation, as the examples do
    app.openapi()
    await auth.close()

asyncio.run(main())
print(json.dumps({{name: name in sys.modules for name in {lazy!r}}}))
"""


def _loaded(code: str) -> dict[str, bool]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded: dict[str, bool] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_a_server_without_social_sign_in_or_migrations_does_not_load_their_libraries(tmp_path: Path) -> None:
    loaded = _loaded(_SERVER.format(db=tmp_path / "footprint.db", lazy=LAZY))
    assert loaded == dict.fromkeys(LAZY, False)


def test_the_lazy_libraries_load_when_their_feature_runs() -> None:
    """The check above can fail: the same probe sees each library once its feature is used."""
    code = (
        "import json, sys\n"
        "from fastapi_betterauth.migrations import alembic_config\n"
        "from fastapi_betterauth.social.oauth_client import ProviderClient\n"
        "from fastapi_betterauth import github\n"
        "alembic_config()\n"
        "ProviderClient(timeout=1)._client(github(client_id='id', client_secret='secret'))\n"
        f"print(json.dumps({{name: name in sys.modules for name in {LAZY!r}}}))\n"
    )
    loaded = _loaded(code)
    assert loaded["alembic"] and loaded["authlib"] and loaded["mako"]
