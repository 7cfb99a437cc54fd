"""What a deployment must configure: a secret nobody else knows, and the server's public URL.

Better Auth falls back to a fixed development secret when none is set; anyone who knows it can sign
cookies and verification tokens for any server that forgot to configure one. Here a deployment
(``environment="production"``, or a ``base_url`` that is https on a non-loopback host) refuses to start
without a strong secret, and development without one generates a random secret and keeps it in a
local file, as Rails does with ``tmp/local_secret.txt``, so sessions survive restarts and workers agree.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from pathlib import Path

from .errors import ConfigurationError
from .protocol.urls import host_of, is_loopback_host
from .settings import DEV_DEFAULT_SECRET, MIN_SECRET_LENGTH, AuthSettings

logger = logging.getLogger("fastapi_betterauth")

_GENERATE_HINT = "generate one with `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
_announced: set[str] = set()
_test_secret = secrets.token_urlsafe(48)
"""The secret of ``environment="test"`` without one: random, shared by the instances of this process."""


def is_deployment(settings: AuthSettings) -> bool:
    """Production, or a public https ``base_url``: somewhere a known secret would be an open door."""
    if settings.environment == "production":
        return True
    if settings.base_url and settings.base_url.startswith("https://"):
        host = host_of(settings.base_url)
        return host is None or not is_loopback_host(host)
    return False


def require_public_url(settings: AuthSettings) -> None:
    """Production needs ``base_url``: without it links and issuers would come from the request's ``Host``.

    Raises:
        ConfigurationError: production without ``base_url``.
    """
    if settings.environment == "production" and not settings.base_url:
        raise ConfigurationError(
            "BETTER_AUTH_URL must be set in production (the public URL of this server, e.g. "
            "https://api.example.com): emailed links and JWT issuers are never built from a request's Host"
        )


def resolve_secret(settings: AuthSettings) -> str:
    """The signing secret for these settings.

    Raises:
        ConfigurationError: a deployment without a secret, with Better Auth's public development
            secret, or with a short or low-entropy one.
    """
    if settings.secrets:
        configured = settings.secrets[0].value.get_secret_value()
    else:
        configured = settings.secret.get_secret_value() if settings.secret is not None else ""
    if is_deployment(settings):
        where = "in production" if settings.environment == "production" else f"for {settings.base_url}"
        if not configured or configured == DEV_DEFAULT_SECRET:
            raise ConfigurationError(f"BETTER_AUTH_SECRET must be set {where}: {_GENERATE_HINT}")
        if len(configured) < MIN_SECRET_LENGTH or len(set(configured)) < 10:
            raise ConfigurationError(
                f"BETTER_AUTH_SECRET is too weak {where}: use at least {MIN_SECRET_LENGTH} random characters "
                f"({_GENERATE_HINT})"
            )
        return configured
    if configured:
        if configured == DEV_DEFAULT_SECRET:
            _announce("public", "BETTER_AUTH_SECRET is Better Auth's public development secret: never deploy it")
        elif len(configured) < MIN_SECRET_LENGTH:
            _announce("short", f"BETTER_AUTH_SECRET is shorter than {MIN_SECRET_LENGTH} characters")
        return configured
    if settings.environment == "test":
        return _test_secret
    return development_secret(settings.dev_secret_file)


def development_secret(path: Path) -> str:
    """A random secret kept in ``path`` (mode 0600, in a folder that git ignores), made on first use.

    Several workers starting at once agree: one creates the file, the others read it.
    """
    path = path.expanduser()
    try:
        secret = _read_or_create(path)
    except OSError as error:
        _announce(
            f"unwritable:{path}",
            f"no BETTER_AUTH_SECRET and {path} cannot be written ({type(error).__name__}): using a random "
            "secret for this process only, so sessions end when it stops",
        )
        return _test_secret
    _announce(
        f"file:{path}",
        f"no BETTER_AUTH_SECRET: using a random development secret kept in {path}; set BETTER_AUTH_SECRET "
        "(and BETTER_AUTH_URL) before deploying",
    )
    return secret


def _read_or_create(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    ignore = path.parent / ".gitignore"
    if path.parent != Path.home() and not ignore.exists():
        ignore.write_text("# created by fastapi-betterauth: never commit the development secret\n*\n")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_existing(path)
    secret = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    return secret


def _read_existing(path: Path) -> str:
    for _ in range(50):  # another worker may be writing it right now
        secret = path.read_text().strip()
        if len(secret) >= MIN_SECRET_LENGTH:
            return secret
        time.sleep(0.02)
    raise ConfigurationError(f"{path} does not hold a development secret: delete it to make a new one")


def _announce(key: str, message: str) -> None:
    """Log a configuration warning once per process."""
    if key not in _announced:
        _announced.add(key)
        logger.warning(message)
