"""A database URL the installation cannot serve fails with what to do, never a bare ModuleNotFoundError."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fastapi_betterauth import AuthSettings, BetterAuth, ConfigurationError, create_engine

SECRET = "s" * 40

MISSING_ASYNCPG = """
import sys
sys.modules["asyncpg"] = None  # as on a machine without the [postgres] extra
from fastapi_betterauth import AuthSettings, BetterAuth
BetterAuth(AuthSettings(secret="s" * 40), database="postgresql+asyncpg://app:hunter2@db.internal/app")
"""


def test_postgres_without_the_extra_names_the_extra_to_install() -> None:
    run = subprocess.run([sys.executable, "-c", MISSING_ASYNCPG], capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("fastapi_betterauth.errors.ConfigurationError:"), run.stderr
    assert 'pip install "fastapi-betterauth-server[postgres]"' in last
    assert "ModuleNotFoundError" not in run.stderr  # the cause is not chained into the report
    assert "hunter2" not in run.stderr


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url", "not a valid SQLAlchemy URL"),
        ("postgresql+nosuchdriver://app:hunter2@db/app", r"no SQLAlchemy dialect 'postgresql\+nosuchdriver'"),
    ],
)
def test_a_bad_url_is_a_configuration_error_without_the_password(url: str, says: str) -> None:
    with pytest.raises(ConfigurationError, match=says) as caught:
        BetterAuth(AuthSettings(secret=SECRET), database=url)
    assert "hunter2" not in str(caught.value)
    with pytest.raises(ConfigurationError, match=says):
        create_engine(url)
