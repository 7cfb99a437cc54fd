"""Readiness: can this instance serve requests now? Each dependency it needs, asked with a short timeout.

* ``database``: ``SELECT 1`` (a ``BetterAuth``'s database, or a ``ResourceServer``'s session database);
* ``redis`` (or ``secondary_storage`` for another kind): a read of an absent key, as requests read;
* ``jwks`` (a ``ResourceServer`` with ``JWTVerifier(jwks_url=...)``): the issuer's key set is usable,
  ``fresh`` or ``stale`` (still used); ``unavailable`` (never fetched, or older than ``max_stale``) fails.

A failed check reports the exception's class names only: never a message, which may quote SQL, a URL
with credentials or a key. The checks run concurrently, so readiness takes at most one timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .outage import DatabaseMonitor, database_of, describe, is_database_unavailable, ping_database
from .resource.jwt_verifier import JWKSUnavailableError
from .storage.secondary import SecondaryStorage

Check = Callable[[float], Awaitable[str]]
"""Given a timeout, answers ``"ok"`` (or ``"stale"``: usable, degraded) or raises why the dependency is not."""

_PROBE_KEY = "fastapi-betterauth:readiness-probe"
"""Read, never written: a round trip through the storage's own path (prefix, ACLs) that changes nothing."""

_fetches: set[asyncio.Task[Any]] = set()
"""Key set fetches a probe stopped waiting for: kept referenced until they end."""


@dataclass(frozen=True)
class Readiness:
    """The outcome of the readiness checks."""

    checks: dict[str, str]
    """Each check's result: ``ok``, ``stale`` (still usable) or ``unavailable``."""
    errors: dict[str, str] = field(default_factory=dict)
    """Why each failed check failed: exception class names, never messages."""

    @property
    def ready(self) -> bool:
        """Whether every check passed."""
        return all(result != "unavailable" for result in self.checks.values())

    def body(self) -> dict[str, Any]:
        """The JSON answer: ``{"status": "ok" | "unavailable", "checks": {...}}`` (and ``errors``)."""
        out: dict[str, Any] = {"status": "ok" if self.ready else "unavailable", "checks": dict(self.checks)}
        if self.errors:
            out["errors"] = dict(self.errors)
        return out


def _database_check(instance: Any) -> Check | None:
    adapter = database_of(instance)
    if adapter is None:
        return None
    monitor = getattr(instance, "database_monitor", None)

    async def database(timeout: float) -> str:
        try:
            await asyncio.wait_for(ping_database(adapter), timeout)
        except Exception as error:
            unanswered = isinstance(error, TimeoutError) or is_database_unavailable(error)
            if isinstance(monitor, DatabaseMonitor) and unanswered:
                monitor.failed(error)  # a readiness probe may be the first to see an outage
            raise
        if isinstance(monitor, DatabaseMonitor):
            monitor.answered()
        return "ok"

    return database


def _storage_name(storage: SecondaryStorage) -> str:
    try:
        from .storage.redis import RedisStorage
    except ImportError:  # pragma: no cover - the redis extra is not installed
        return "secondary_storage"
    return "redis" if isinstance(storage, RedisStorage) else "secondary_storage"


def _storage_check(storage: SecondaryStorage) -> Check:
    async def secondary_storage(timeout: float) -> str:
        await asyncio.wait_for(storage.get(_PROBE_KEY), timeout)
        return "ok"

    return secondary_storage


def _jwks_check(verifier: Any) -> Check:
    async def jwks(timeout: float) -> str:
        # Fetches a missing set (at most every refetch_interval, behind the breaker); shielded, so a slow
        # issuer's fetch completes for the next request even when this probe gives up waiting.
        fetch = asyncio.ensure_future(verifier.ensure_keys())
        _fetches.add(fetch)
        fetch.add_done_callback(_fetches.discard)
        state = await asyncio.wait_for(asyncio.shield(fetch), timeout)
        if state.status == "unavailable":
            raise JWKSUnavailableError("no usable key set", retry_after=1)
        return "ok" if state.status == "fresh" else "stale"

    return jwks


def readiness_checks(instance: Any) -> dict[str, Check]:
    """The checks that apply to a ``BetterAuth`` or ``ResourceServer``, by name."""
    checks: dict[str, Check] = {}
    database = _database_check(instance)
    if database is not None:
        checks["database"] = database
    sessions = getattr(instance, "sessions", None)
    storage = getattr(sessions if sessions is not None else instance, "secondary_storage", None)
    if isinstance(storage, SecondaryStorage):
        checks[_storage_name(storage)] = _storage_check(storage)
    verifier = getattr(instance, "jwt", None)  # a ResourceServer's: the issuer's keys it cannot do without
    if verifier is not None and getattr(verifier, "jwks_url", None) is not None:
        checks["jwks"] = _jwks_check(verifier)
    return checks


async def check_readiness(instance: Any, *, timeout: float = 2.0) -> Readiness:
    """Run every check of ``instance`` concurrently, each within ``timeout`` seconds."""
    checks = readiness_checks(instance)

    async def run(check: Check) -> str | BaseException:
        try:
            return await check(timeout)
        except Exception as error:
            return error

    outcomes = await asyncio.gather(*(run(check) for check in checks.values()))
    results: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, outcome in zip(checks, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            results[name] = "unavailable"
            errors[name] = describe(outcome)
        else:
            results[name] = outcome
    return Readiness(results, errors)
