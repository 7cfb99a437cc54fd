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


def test_only_prefixed_variables_configure_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """A container's stray ``SECRET`` / ``BASE_URL`` / ``ENVIRONMENT`` (set for something else) is never read:
    it would otherwise become the signing secret, the link origin or the environment."""
    for name in ("BETTER_AUTH_SECRET", "AUTH_SECRET", "BETTER_AUTH_SECRETS", "BETTER_AUTH_URL", "BETTER_AUTH_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET", "stray-secret-0123456789abcdef0123456789abcdef")
    monkeypatch.setenv("SECRETS", "1:stray-secret-0123456789abcdef0123456789abcdef")
    monkeypatch.setenv("BASE_URL", "https://evil.example")
    monkeypatch.setenv("ENVIRONMENT", "test")
    settings = AuthSettings()
    assert (settings.secret, settings.secrets, settings.base_url, settings.environment) == (
        None,
        (),
        None,
        "development",
    )
    # the Python names still work as arguments
    named = AuthSettings(secret="k" * 40, base_url="https://api.example.com", environment="test")
    assert named.secret is not None and named.secret.get_secret_value() == "k" * 40
    assert (named.base_url, named.environment) == ("https://api.example.com", "test")
