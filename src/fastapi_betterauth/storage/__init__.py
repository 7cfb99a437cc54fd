"""Secondary storage: Better Auth's ``secondaryStorage`` (sessions, verification values, counters).

:class:`SecondaryStorage` is the contract, :class:`MemoryStorage` the single-process one and
:class:`RedisStorage` (extra ``redis``) the one to share between workers and with a TypeScript Better
Auth server.
"""

from .memory import MemoryStorage
from .secondary import SecondaryStorage, StorageUnavailableError

__all__ = ["MemoryStorage", "RedisStorage", "SecondaryStorage", "StorageUnavailableError"]


def __getattr__(name: str) -> object:
    # RedisStorage needs the optional ``redis`` package: import it only when asked for.
    if name == "RedisStorage":
        from .redis import RedisStorage

        return RedisStorage
    raise AttributeError(name)
