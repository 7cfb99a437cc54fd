"""Request counters for the rate limiter, with Better Auth's three storages and their exact semantics.

* memory: per key ``{count, lastRequest}``; the window slides with each accepted request (Better Auth's
  memory store), bounded at 100,000 keys;
* database: Better Auth's ``rateLimit`` table (``key`` unique, ``count``, ``lastRequest`` ms), same
  algorithm, made atomic with conditional updates so concurrent workers never lose a count; a
  TypeScript server on the same database shares the counters;
* secondary storage: ``increment(key, window)``, a fixed window from the first request (what Better
  Auth does with ``secondaryStorage``), shared with a TypeScript server on the same Redis.

The ``limits`` package was considered: its windows are not Better Auth's and its keys are its own, so
counters could not be shared with a TypeScript server; the primitives here are one Redis script and
one conditional SQL ``UPDATE``.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass

from typing_extensions import override

from ..crypto.random import generate_id
from ..db.adapter import Adapter, UniqueViolationError, Where
from ..storage.secondary import SecondaryStorage

RATE_LIMIT_MODEL = "rateLimit"
MAX_MEMORY_KEYS = 100_000
"""Better Auth's bound for its memory store."""


@dataclass(frozen=True, slots=True)
class Rule:
    """``max`` requests per ``window`` seconds."""

    window: int
    max: int


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a request may proceed; when not, after how many seconds it may."""

    allowed: bool
    retry_after: int = 0


def _now_ms() -> int:
    return int(time.time() * 1000)


def _retry_after(last_ms: int, window: int, now_ms: int) -> int:
    return max(math.ceil((last_ms + window * 1000 - now_ms) / 1000), 1)


class Counters(ABC):
    """Counts requests per key against a rule."""

    @abstractmethod
    async def consume(self, key: str, rule: Rule) -> Decision:
        """Count one request for ``key`` when it is allowed (a refused one is not counted)."""


class MemoryCounters(Counters):
    """Better Auth's memory store: per-process, bounded, entries expire one window after their last use."""

    def __init__(self, *, max_keys: int = MAX_MEMORY_KEYS) -> None:
        self.max_keys = max_keys
        self._entries: dict[str, tuple[int, int, int]] = {}  # key -> (count, lastRequest ms, expires ms)

    def __len__(self) -> int:
        return len(self._entries)

    @override
    async def consume(self, key: str, rule: Rule) -> Decision:
        now = _now_ms()
        entry = self._entries.get(key)
        if entry is not None and now >= entry[2]:
            entry = None
        if entry is None or now - entry[1] >= rule.window * 1000:
            count = 1
        elif entry[0] >= rule.max:
            return Decision(False, _retry_after(entry[1], rule.window, now))
        else:
            count = entry[0] + 1
        self._entries.pop(key, None)  # re-insert: the dict's order is least recently used first
        self._entries[key] = (count, now, now + rule.window * 1000)
        if len(self._entries) > self.max_keys:
            self._prune(now)
        return Decision(True)

    def _prune(self, now: int) -> None:
        """Drop expired keys, then the least recently used, down to 90% of the bound.

        Pruning a tenth at a time keeps the scan off most requests even under a flood of new keys.
        """
        for key in [k for k, (_, _, expires) in self._entries.items() if expires <= now]:
            del self._entries[key]
        overflow = len(self._entries) - self.max_keys * 9 // 10
        for key in list(self._entries)[: max(overflow, 0)]:
            del self._entries[key]


class DatabaseCounters(Counters):
    """Better Auth's ``rateLimit`` table, updated atomically (its ``incrementOne`` conditions)."""

    PRUNE_EVERY_MS = 60_000

    def __init__(self, adapter: Adapter, *, longest_window: int) -> None:
        self.adapter = adapter
        self.longest_window = longest_window
        self._last_prune = 0

    @override
    async def consume(self, key: str, rule: Rule) -> Decision:
        self.longest_window = max(self.longest_window, rule.window)
        window_ms = rule.window * 1000
        for _ in range(16):  # each retry means another worker changed the row in between
            row = await self.adapter.find_one(RATE_LIMIT_MODEL, [Where("key", key)])
            now = _now_ms()
            if row is None:
                try:
                    data = {"id": generate_id(), "key": key, "count": 1, "lastRequest": now}
                    await self.adapter.create(RATE_LIMIT_MODEL, data)
                except UniqueViolationError:
                    continue
                return Decision(True)
            last = int(row["lastRequest"])
            if now - last >= window_ms:
                restarted = await self.adapter.increment(
                    RATE_LIMIT_MODEL,
                    [Where("key", key), Where("lastRequest", last, "lte")],
                    {},
                    {"count": 1, "lastRequest": now},
                )
                if restarted is not None:
                    await self._prune(now)
                    return Decision(True)
                continue
            counted = await self.adapter.increment(
                RATE_LIMIT_MODEL,
                [Where("key", key), Where("lastRequest", now - window_ms, "gt"), Where("count", rule.max, "lt")],
                {"count": 1},
                {"lastRequest": now},
            )
            if counted is not None:
                return Decision(True)
            fresh = await self.adapter.find_one(RATE_LIMIT_MODEL, [Where("key", key)])
            if fresh is None or now - int(fresh["lastRequest"]) >= window_ms:
                continue
            return Decision(False, _retry_after(int(fresh["lastRequest"]), rule.window, now))
        return Decision(False, rule.window)  # pathological contention: refuse rather than let through

    async def _prune(self, now: int) -> None:
        if now - self._last_prune < self.PRUNE_EVERY_MS:
            return
        self._last_prune = now
        cutoff = now - self.longest_window * 1000
        await self.adapter.delete(RATE_LIMIT_MODEL, [Where("lastRequest", cutoff, "lt")])


class StorageCounters(Counters):
    """Better Auth's secondary-storage limiter: ``increment(key, window)``, refused above ``max``."""

    def __init__(self, storage: SecondaryStorage) -> None:
        self.storage = storage

    @override
    async def consume(self, key: str, rule: Rule) -> Decision:
        count = await self.storage.increment(key, rule.window)
        return Decision(True) if count <= rule.max else Decision(False, rule.window)
