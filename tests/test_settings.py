from __future__ import annotations

import logging

import pytest

from fastapi_betterauth import AuthSettings, BetterAuth, ConfigurationError, MemoryAdapter
from fastapi_betterauth.settings import DEV_DEFAULT_SECRET


def test_environment_uses_better_auth_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BETTER_AUTH_SECRET", "s" * 10 + "abcdefghijklmnopqrstuvwxyz")
    monkeypatch.setenv("BETTER_AUTH_URL", "https://api.example.com/")
    monkeypatch.setenv("BETTER_AUTH_TRUSTED_ORIGINS", "http://localhost:3000, https://app.example.com")
    monkeypatch.setenv("BETTER_AUTH_SESSION__EXPIRES_IN", "3600")
    settings = AuthSettings()
    assert settings.secret_value().endswith("xyz")
    assert settings.base_url == "https://api.example.com"
    assert settings.trusted_origins == ("http://localhost:3000", "https://app.example.com")
    assert settings.session.expires_in == 3600


def test_auth_secret_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BETTER_AUTH_SECRET", raising=False)
    monkeypatch.setenv("AUTH_SECRET", "from-auth-secret-variable-0123456789")
    assert AuthSettings().secret_value() == "from-auth-secret-variable-0123456789"


@pytest.mark.parametrize("secret", [None, "", DEV_DEFAULT_SECRET, "short", "a" * 64])
def test_production_refuses_missing_or_weak_secret(secret: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BETTER_AUTH_SECRET", raising=False)
    monkeypatch.delenv("AUTH_SECRET", raising=False)
    settings = AuthSettings(secret=secret, environment="production")
    with pytest.raises(ConfigurationError, match="BETTER_AUTH_SECRET"):
        BetterAuth(settings, adapter=MemoryAdapter())


def test_production_accepts_strong_secret() -> None:
    settings = AuthSettings(secret="Q3v9-kL2pX8mZ7rT4wY1sN6bH0jF5gD2cA9eU", environment="production")
    BetterAuth(settings, adapter=MemoryAdapter())


def test_development_falls_back_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("BETTER_AUTH_SECRET", raising=False)
    monkeypatch.delenv("AUTH_SECRET", raising=False)
    with caplog.at_level(logging.WARNING, logger="fastapi_betterauth"):
        assert AuthSettings().secret_value() == DEV_DEFAULT_SECRET
    assert "never do this in production" in caplog.text
    assert DEV_DEFAULT_SECRET not in caplog.text  # secrets are never logged


def test_invalid_base_url_is_rejected() -> None:
    with pytest.raises(ValueError):
        AuthSettings(base_url="localhost:8000")


def test_exactly_one_storage_is_required() -> None:
    with pytest.raises(ConfigurationError):
        BetterAuth(AuthSettings(secret="x" * 40))
    with pytest.raises(ConfigurationError):
        BetterAuth(AuthSettings(secret="x" * 40), database="sqlite+aiosqlite://", adapter=MemoryAdapter())
