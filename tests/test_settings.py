from __future__ import annotations

import pytest

from fastapi_betterauth import AuthSettings, BetterAuth, ConfigurationError, MemoryAdapter


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


@pytest.mark.parametrize(
    "url", ["localhost:8000", "https://user:pw@api.example.com", "https://api.example.com/?x=1", "https://a b.com"]
)
def test_invalid_base_url_is_rejected(url: str) -> None:
    with pytest.raises(ValueError):
        AuthSettings(base_url=url)


def test_exactly_one_storage_is_required() -> None:
    with pytest.raises(ConfigurationError):
        BetterAuth(AuthSettings(secret="x" * 40))
    with pytest.raises(ConfigurationError):
        BetterAuth(AuthSettings(secret="x" * 40), database="sqlite+aiosqlite://", adapter=MemoryAdapter())
