"""The secondary-storage contract: Better Auth 1.7.24's ``SecondaryStorage`` plus what safety needs.

Better Auth's interface is five calls (``get``, ``set``, ``delete``, ``getAndDelete``,
``increment``) on string values with TTLs in whole seconds. Sharing sessions safely needs three more,
which have non-atomic defaults here and atomic versions in the storages this library ships:
``replace`` (write only if still present, so a refresh cannot resurrect a revoked session),
``add`` (write only if absent, so one worker alone records a lock) and ``transform`` (a
read-modify-write no concurrent writer can interleave with, for the per-user session list).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

Change = Callable[[str | None], tuple[str | None, int | None]]
"""Old value (or ``None``) to ``(new value or None to delete, TTL)``."""


class StorageUnavailableError(Exception):
    """The secondary storage cannot be reached; the request answers 503 and nothing is assumed."""


class SecondaryStorage(ABC):
    """A key-value store with expiry shared by every worker (Better Auth: ``secondaryStorage``).

    TTLs are whole seconds. A value written with a TTL must expire; ``ttl=None`` keeps it until
    deleted. Implementations raise :class:`StorageUnavailableError` when the store is down.
    """

    @abstractmethod
    async def get(self, key: str) -> str | None:
        """The value, or ``None`` when absent or expired."""

    @abstractmethod
    async def set(self, key: str, value: str, ttl: int | None = None) -> None:
        """Store ``value``, expiring after ``ttl`` seconds when given."""

    @abstractmethod
    async def delete(self, key: str) -> None:
        """Remove the key (no error when absent)."""

    @abstractmethod
    async def get_and_delete(self, key: str) -> str | None:
        """Atomically read and remove: of two concurrent callers only one gets the value."""

    @abstractmethod
    async def increment(self, key: str, ttl: int) -> int:
        """Atomically add one and return the count; a new key starts at 1 and expires after ``ttl`` seconds."""

    async def replace(self, key: str, value: str, ttl: int | None = None) -> bool:
        """Store ``value`` only if the key still exists; whether it was written.

        The default reads then writes; override with an atomic version (Redis ``SET XX``).
        """
        if await self.get(key) is None:
            return False
        await self.set(key, value, ttl)
        return True

    async def add(self, key: str, value: str, ttl: int | None = None) -> bool:
        """Store ``value`` only if the key is absent; whether it was written (Redis ``SET NX``)."""
        if await self.get(key) is not None:
            return False
        await self.set(key, value, ttl)
        return True

    async def transform(self, key: str, change: Change) -> None:
        """Replace the value with ``change(old)`` as one step (Redis: ``WATCH``/``MULTI``, retried)."""
        value, ttl = change(await self.get(key))
        if value is None:
            await self.delete(key)
        else:
            await self.set(key, value, ttl)

    async def ttl(self, key: str) -> float | None:
        """Seconds until the key expires; ``None`` when absent or without expiry (unknown by default)."""
        return None

    async def keys(self, prefix: str) -> list[str]:
        """Keys starting with ``prefix`` (admin views only; never on a request's hot path)."""
        raise NotImplementedError(f"{type(self).__name__} cannot list keys")

    async def close(self) -> None:  # noqa: B027 - optional: most storages hold nothing to release
        """Release connections."""
