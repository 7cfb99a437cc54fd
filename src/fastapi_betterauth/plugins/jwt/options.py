"""Options of the jwt plugin (Better Auth: ``jwt({ jwks, jwt })``)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ...errors import ConfigurationError

PayloadBuilder = Callable[[Mapping[str, Any], Mapping[str, Any]], Mapping[str, Any] | Awaitable[Mapping[str, Any]]]
"""``(session, user) -> claims``: replaces the user object in the token (Better Auth ``jwt.definePayload``)."""

SubjectBuilder = Callable[[Mapping[str, Any], Mapping[str, Any]], str | Awaitable[str | None] | None]
"""``(session, user) -> sub``: the token's subject instead of the user id (Better Auth ``jwt.getSubject``)."""

RemoteSigner = Callable[
    [dict[str, Any], Mapping[str, str] | None, "SigningOverrides"],
    str | Awaitable[str],
]
"""``(claims, extra_header, overrides) -> compact JWT``: signing done elsewhere, e.g. a KMS (``jwt.sign``).

It must set ``alg`` and ``kid`` itself, merge ``extra_header`` into the protected header, and should honour
``overrides`` (a pinned key id or algorithm)."""


@dataclass(frozen=True)
class KeyPairConfig:
    """One key algorithm the plugin may sign with (Better Auth ``jwks.keyPairConfig(s)``)."""

    alg: str
    crv: str | None = None
    modulus_length: int = 2048


@dataclass(frozen=True)
class SigningOverrides:
    """A pin on the signing key: a ``kid`` or an algorithm (``signingKeyId`` / ``signingAlgorithm``)."""

    key_id: str | None = None
    algorithm: str | None = None


_DURATION = re.compile(
    r"^\s*(\d+)\s*(s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hr|hrs|hour|hours|d|day|days|w|week|weeks)?\s*$"
)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def seconds(value: int | str) -> int:
    """``900`` or ``"15m"`` (jose's duration syntax, the common subset) as seconds.

    Raises:
        ConfigurationError: an unreadable duration.
    """
    if isinstance(value, int):
        return value
    match = _DURATION.match(value)
    if not match:
        raise ConfigurationError(f"cannot read the duration {value!r}: use seconds or e.g. '15m', '1h', '7d'")
    unit = (match.group(2) or "s")[0]
    return int(match.group(1)) * _UNITS[unit]


@dataclass(frozen=True)
class JWTOptions:
    """Everything the plugin was configured with; see :func:`fastapi_betterauth.jwt`."""

    algorithm: str = "EdDSA"
    curve: str | None = None
    modulus_length: int = 2048
    rotation_interval: int | None = None
    grace_period: int = 2592000
    expiration_time: int = 900
    issuer: str | None = None
    audience: str | None = None
    define_payload: PayloadBuilder | None = None
    disable_setting_jwt_header: bool = False
    disable_private_key_encryption: bool = False
    jwks_path: str = "/jwks"
    remote_jwks_url: str | None = None
    """Keys are served elsewhere: ``/jwks`` answers 404 (``jwks.remoteUrl``)."""
    key_cache_seconds: int = 60
    revocation: bool = False
    """JWTs carry ``sid`` and stop verifying once their session ends (this library's; see ``revocation.py``)."""
    key_pair_configs: tuple[KeyPairConfig, ...] = ()
    """Further algorithms, each minted on its first pinned use (``jwks.keyPairConfigs``)."""
    get_subject: SubjectBuilder | None = None
    sign: RemoteSigner | None = None

    @property
    def primary(self) -> KeyPairConfig:
        """The configured default key (``jwks.keyPairConfig``)."""
        return KeyPairConfig(self.algorithm, self.curve, self.modulus_length)

    def config_for(self, alg: str) -> KeyPairConfig | None:
        """The key configuration that may mint a key of ``alg``, if any."""
        if alg == self.algorithm:
            return self.primary
        return next((c for c in self.key_pair_configs if c.alg == alg), None)
