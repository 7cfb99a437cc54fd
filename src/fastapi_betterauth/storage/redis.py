"""Redis secondary storage, key-for-key compatible with ``@better-auth/redis-storage``.

Keys carry the same default prefix (``better-auth:``) and the same commands are used (``GET``,
``SETEX``, ``DEL``, ``GETDEL``, ``INCR`` + ``EXPIRE`` in one script), so a TypeScript Better Auth
server using that package and this library, pointed at one Redis, read each other's sessions,
verification values and rate-limit counters.
"""

from __future__ import annotations

from typing import Any

from typing_extensions import override

from .secondary import Change, SecondaryStorage, StorageUnavailableError

try:
    from redis import asyncio as aioredis
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import ResponseError, WatchError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("RedisStorage needs the redis extra: pip install 'fastapi-betterauth-server[redis]'") from exc

DEFAULT_PREFIX = "better-auth:"
"""``@better-auth/redis-storage``'s default ``keyPrefix``."""

_INCREMENT = """
local value = redis.call("INCR", KEYS[1])
if value == 1 then
  redis.call("EXPIRE", KEYS[1], ARGV[1])
end
return value
"""
_GET_AND_DELETE = """
local value = redis.call("GET", KEYS[1])
if value ~= false then
  redis.call("DEL", KEYS[1])
end
return value
"""
_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)


def _escape_glob(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


class RedisStorage(SecondaryStorage):
    """Secondary storage in Redis (redis-py, asyncio).

    Args:
        url: ``redis://host:port/db`` (ignored when ``client`` is given).
        key_prefix: prepended to every key; keep Better Auth's default to share with a TypeScript server.
        client: an existing ``redis.asyncio.Redis`` (``decode_responses=True``).
        timeout: seconds before a silent Redis counts as down (answers 503 rather than hanging).
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        key_prefix: str = DEFAULT_PREFIX,
        client: Any = None,
        timeout: float = 2.0,
    ) -> None:
        self.key_prefix = key_prefix
        self.client: Any = client or aioredis.Redis.from_url(
            url, decode_responses=True, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._increment = self.client.register_script(_INCREMENT)
        self._getdel_script = self.client.register_script(_GET_AND_DELETE)
        self._has_getdel = True

    def _k(self, key: str) -> str:
        return self.key_prefix + key

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return await getattr(self.client, method)(*args, **kwargs)
        except _DOWN as exc:
            raise StorageUnavailableError(f"Redis unavailable: {type(exc).__name__}") from exc

    @override
    async def get(self, key: str) -> str | None:
        value = await self._call("get", self._k(key))
        return None if value is None else str(value)

    @override
    async def set(self, key: str, value: str, ttl: int | None = None) -> None:
        if ttl is not None and ttl <= 0:
            await self._call("delete", self._k(key))  # never a key without expiry by accident
            return
        await self._call("set", self._k(key), value, ex=ttl)

    @override
    async def delete(self, key: str) -> None:
        await self._call("delete", self._k(key))

    @override
    async def get_and_delete(self, key: str) -> str | None:
        if self._has_getdel:
            try:
                value = await self._call("getdel", self._k(key))
                return None if value is None else str(value)
            except ResponseError:  # Redis < 6.2
                self._has_getdel = False
        try:
            value = await self._getdel_script(keys=[self._k(key)])
        except _DOWN as exc:
            raise StorageUnavailableError(f"Redis unavailable: {type(exc).__name__}") from exc
        return None if value is None else str(value)

    @override
    async def increment(self, key: str, ttl: int) -> int:
        if ttl < 1:
            raise ValueError("increment needs a positive TTL")
        try:
            return int(await self._increment(keys=[self._k(key)], args=[ttl]))
        except _DOWN as exc:
            raise StorageUnavailableError(f"Redis unavailable: {type(exc).__name__}") from exc

    @override
    async def replace(self, key: str, value: str, ttl: int | None = None) -> bool:
        if ttl is not None and ttl <= 0:
            await self.delete(key)
            return False
        return bool(await self._call("set", self._k(key), value, ex=ttl, xx=True))

    @override
    async def add(self, key: str, value: str, ttl: int | None = None) -> bool:
        if ttl is not None and ttl <= 0:
            return False
        return bool(await self._call("set", self._k(key), value, ex=ttl, nx=True))

    @override
    async def transform(self, key: str, change: Change) -> None:
        full = self._k(key)
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        await pipe.watch(full)
                        value, ttl = change(await pipe.get(full))
                        pipe.multi()
                        if value is None or (ttl is not None and ttl <= 0):
                            pipe.delete(full)
                        else:
                            pipe.set(full, value, ex=ttl)
                        await pipe.execute()
                        return
                    except WatchError:
                        continue  # another writer changed it between our read and write: redo
        except _DOWN as exc:
            raise StorageUnavailableError(f"Redis unavailable: {type(exc).__name__}") from exc

    @override
    async def ttl(self, key: str) -> float | None:
        millis = await self._call("pttl", self._k(key))
        return None if millis is None or millis < 0 else millis / 1000

    @override
    async def keys(self, prefix: str) -> list[str]:
        found: list[str] = []
        try:
            async for key in self.client.scan_iter(match=_escape_glob(self._k(prefix)) + "*", count=500):
                found.append(str(key)[len(self.key_prefix) :])
        except _DOWN as exc:
            raise StorageUnavailableError(f"Redis unavailable: {type(exc).__name__}") from exc
        return found

    @override
    async def close(self) -> None:
        await self.client.aclose()
