"""Failing closed: no known secret and no Host-derived links, in any environment (security review findings 2 and 3)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from fastapi_betterauth import AuthSettings, BetterAuth, ConfigurationError, MemoryAdapter
from fastapi_betterauth.crypto.email_tokens import create_email_token
from fastapi_betterauth.email import FileOutboxSender
from fastapi_betterauth.settings import DEV_DEFAULT_SECRET
from tests.conftest import FastTestHasher

pytestmark = pytest.mark.anyio
STRONG = "Q3v9-kL2pX8mZ7rT4wY1sN6bH0jF5gD2cA9eU"


@pytest.fixture(autouse=True)
def _no_secret_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BETTER_AUTH_SECRET", "AUTH_SECRET", "BETTER_AUTH_URL", "BETTER_AUTH_ENV"):
        monkeypatch.delenv(name, raising=False)


# -- the secret ------------------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", DEV_DEFAULT_SECRET, "short", "a" * 64])
@pytest.mark.parametrize(
    "where",
    [
        {"environment": "production", "base_url": "https://api.example.com"},
        {"base_url": "https://api.example.com"},  # environment unset, but deployed on a public https URL
        {"environment": "test", "base_url": "https://api.example.com"},
    ],
    ids=["production", "https-base-url", "test-env-https"],
)
def test_a_deployment_refuses_a_missing_known_or_weak_secret(secret: str | None, where: dict[str, Any]) -> None:
    settings = AuthSettings(secret=secret, **where)
    with pytest.raises(ConfigurationError, match="BETTER_AUTH_SECRET"):
        BetterAuth(settings, adapter=MemoryAdapter())


def test_a_deployment_accepts_a_strong_secret() -> None:
    BetterAuth(
        AuthSettings(secret=STRONG, environment="production", base_url="https://api.example.com"),
        adapter=MemoryAdapter(),
    )


@pytest.mark.parametrize("base_url", [None, "http://localhost:8000", "https://localhost:8443", "http://10.0.0.5"])
def test_development_makes_a_random_secret_kept_in_an_ignored_file(
    base_url: str | None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "state" / "secret"
    with caplog.at_level(logging.WARNING, logger="fastapi_betterauth"):
        first = BetterAuth(AuthSettings(base_url=base_url, dev_secret_file=path), adapter=MemoryAdapter())
        second = BetterAuth(AuthSettings(base_url=base_url, dev_secret_file=path), adapter=MemoryAdapter())
    secret = first.context.secret
    assert secret != DEV_DEFAULT_SECRET and len(secret) >= 32
    assert second.context.secret == secret  # restarts and other workers agree
    assert path.read_text().strip() == secret
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert (path.parent / ".gitignore").read_text().splitlines()[-1] == "*"
    warnings = [r for r in caplog.records if "development secret" in r.getMessage()]
    assert len(warnings) == 1, "one clear warning, not one per instance"
    assert str(path) in warnings[0].getMessage()
    assert secret not in caplog.text


def test_two_development_secret_files_differ(tmp_path: Path) -> None:
    a = BetterAuth(AuthSettings(dev_secret_file=tmp_path / "a" / "secret"), adapter=MemoryAdapter())
    b = BetterAuth(AuthSettings(dev_secret_file=tmp_path / "b" / "secret"), adapter=MemoryAdapter())
    assert a.context.secret != b.context.secret


def test_the_public_development_secret_still_works_locally_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    """An explicit choice on localhost (e.g. to share cookies with a local TypeScript server) is allowed."""
    with caplog.at_level(logging.WARNING, logger="fastapi_betterauth"):
        auth = BetterAuth(AuthSettings(secret=DEV_DEFAULT_SECRET), adapter=MemoryAdapter())
    assert auth.context.secret == DEV_DEFAULT_SECRET
    assert "public development secret" in caplog.text


async def test_a_token_forged_with_the_public_secret_is_refused(tmp_path: Path) -> None:
    """The review forged a verification token with Better Auth's public secret; it was accepted."""
    auth = BetterAuth(
        AuthSettings(base_url="http://localhost:8000", dev_secret_file=tmp_path / "secret"),
        adapter=MemoryAdapter(),
        password_hasher=FastTestHasher(),
    )
    await auth.create_schema()
    app = FastAPI()
    app.include_router(auth.router)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost:8000") as client,
    ):
        r = await client.post(
            "/api/auth/sign-up/email", json={"email": "v@example.com", "password": "password123", "name": "V"}
        )
        assert r.status_code == 200
        forged = create_email_token(DEV_DEFAULT_SECRET, "v@example.com", expires_in=3600)
        r = await client.get("/api/auth/verify-email", params={"token": forged})
        assert r.status_code == 401 and r.json()["code"] == "INVALID_TOKEN"
        genuine = create_email_token(auth.context.secret, "v@example.com", expires_in=3600)
        assert (await client.get("/api/auth/verify-email", params={"token": genuine})).status_code == 200


# -- the public URL -----------------------------------------------------------------------------------


def test_production_requires_base_url() -> None:
    with pytest.raises(ConfigurationError, match="BETTER_AUTH_URL"):
        BetterAuth(AuthSettings(secret=STRONG, environment="production"), adapter=MemoryAdapter())


@pytest.fixture
async def hostless(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """``await hostless(base, **settings)`` -> (client, outbox): a development server without ``base_url``."""
    async with AsyncExitStack() as stack:

        async def make(base: str, **settings: Any) -> tuple[httpx.AsyncClient, FileOutboxSender, BetterAuth]:
            sender = FileOutboxSender(tmp_path / f"outbox-{len(os.listdir(tmp_path))}.jsonl")
            auth = BetterAuth(
                AuthSettings(secret=STRONG, **settings),
                adapter=MemoryAdapter(),
                password_hasher=FastTestHasher(),
                email_sender=sender,
            )
            await auth.create_schema()
            app = FastAPI()
            app.include_router(auth.router)
            manager = await stack.enter_async_context(LifespanManager(app))
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url=base)
            await stack.enter_async_context(client)
            r = await client.post(
                "/api/auth/sign-up/email",
                json={"email": "victim@example.com", "password": "password123", "name": "V"},
                headers={"host": "localhost:8000"},
            )
            assert r.status_code == 200, r.text
            client.cookies.clear()
            return client, sender, auth

        yield make


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8000", "localhost.evil.example", "10.0.0.9"])
async def test_a_forged_host_never_reaches_a_mailed_link(hostless: Callable[..., Any], host: str) -> None:
    client, sender, auth = await hostless("http://localhost:8000")
    r = await client.post(
        "/api/auth/request-password-reset", json={"email": "victim@example.com"}, headers={"host": host}
    )
    assert r.status_code == 400 and r.json()["code"] == "UNTRUSTED_HOST", r.text
    await auth.mailer.flush()
    assert sender.messages() == []


@pytest.mark.parametrize(
    ("base", "settings", "link_prefix"),
    [
        ("http://localhost:8000", {}, "http://localhost:8000/api/auth/reset-password/"),
        ("http://127.0.0.1:8000", {}, "http://127.0.0.1:8000/api/auth/reset-password/"),
        ("http://app.localhost", {}, "http://app.localhost/api/auth/reset-password/"),
        (
            "https://app.example.com",
            {"trusted_origins": ["https://app.example.com"]},
            "https://app.example.com/api/auth/reset-password/",
        ),
    ],
)
async def test_a_local_or_trusted_host_builds_the_link(
    hostless: Callable[..., Any], base: str, settings: dict[str, Any], link_prefix: str
) -> None:
    client, sender, auth = await hostless(base, **settings)
    r = await client.post("/api/auth/request-password-reset", json={"email": "victim@example.com"})
    assert r.status_code == 200, r.text
    await auth.mailer.flush()
    (mail,) = sender.messages()
    assert mail["url"].startswith(link_prefix)


async def test_a_trusted_host_over_another_scheme_is_refused(hostless: Callable[..., Any]) -> None:
    client, *_ = await hostless("http://app.example.com", trusted_origins=["https://app.example.com"])
    r = await client.post("/api/auth/request-password-reset", json={"email": "victim@example.com"})
    assert r.status_code == 400 and r.json()["code"] == "UNTRUSTED_HOST"


async def test_a_forged_host_is_not_a_trusted_origin(hostless: Callable[..., Any]) -> None:
    """Without base_url the request's own origin is trusted (Better Auth): only for a local or trusted Host."""
    client, *_ = await hostless("http://localhost:8000")
    r = await client.post(
        "/api/auth/sign-in/email",
        json={"email": "victim@example.com", "password": "password123", "callbackURL": "http://attacker.example/x"},
        headers={"host": "attacker.example", "origin": "http://attacker.example"},
    )
    assert r.status_code == 400 and r.json()["code"] == "UNTRUSTED_HOST"
