"""An in-process secondary storage: bounded, expiring, for one worker and for tests."""

from __future__ import annotations

import time

from typing_extensions import override

from .secondary import Change, SecondaryStorage

MAX_ENTRIES = 100_000
"""Better Auth's memory-store bound: beyond it the oldest keys go first."""


class MemoryStorage(SecondaryStorage):
    """Keys in a dict, in insertion order, with monotonic-clock expiry.

    Every operation runs without awaiting, so it is atomic on the event loop. At most
    ``max_entries`` keys are kept: expired ones are swept first, then the oldest are dropped, so a
    flood of distinct keys (one per spoofed client) cannot grow memory without bound.
    """

    def __init__(self, *, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._data: dict[str, tuple[str, float | None]] = {}
        self._now = time.monotonic

    def __len__(self) -> int:
        return len(self._data)

    def _live(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= self._now():
            del self._data[key]
            return None
        return value

    def _put(self, key: str, value: str, ttl: int | None) -> None:
        if ttl is not None and ttl <= 0:
            self._data.pop(key, None)
            return
        self._data.pop(key, None)
        self._data[key] = (value, None if ttl is None else self._now() + ttl)
        if len(self._data) > self.max_entries:
            self._evict()

    def _evict(self) -> None:
        now = self._now()
        for key in [k for k, (_, exp) in self._data.items() if exp is not None and exp <= now]:
            del self._data[key]
        overflow = len(self._data) - self.max_entries
        if overflow > 0:
            for key in list(self._data)[:overflow]:
                del self._data[key]

    @override
    async def get(self, key: str) -> str | None:
        return self._live(key)

    @override
    async def set(self, key: str, value: str, ttl: int | None = None) -> None:
        self._put(key, value, ttl)

    @override
    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    @override
    async def get_and_delete(self, key: str) -> str | None:
        value = self._live(key)
        self._data.pop(key, None)
        return value

    @override
    async def increment(self, key: str, ttl: int) -> int:
        current = self._live(key)
        if current is None:
            self._put(key, "1", ttl)
            return 1
        count = int(current) + 1
        self._data[key] = (str(count), self._data[key][1])
        return count

    @override
    async def replace(self, key: str, value: str, ttl: int | None = None) -> bool:
        if self._live(key) is None:
            return False
        self._put(key, value, ttl)
        return True

    @override
    async def add(self, key: str, value: str, ttl: int | None = None) -> bool:
        if self._live(key) is not None:
            return False
        self._put(key, value, ttl)
        return True

    @override
    async def transform(self, key: str, change: Change) -> None:
        value, ttl = change(self._live(key))
        if value is None:
            self._data.pop(key, None)
        else:
            self._put(key, value, ttl)

    @override
    async def ttl(self, key: str) -> float | None:
        if self._live(key) is None:
            return None
        expires = self._data[key][1]
        return None if expires is None else max(expires - self._now(), 0.0)

    @override
    async def keys(self, prefix: str) -> list[str]:
        return [key for key in list(self._data) if key.startswith(prefix) and self._live(key) is not None]
