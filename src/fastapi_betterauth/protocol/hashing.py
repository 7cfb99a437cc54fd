"""Password hashing off the event loop.

Scrypt with Better Auth's parameters costs about 100 ms of CPU. Running it on the event loop would
stall every other request, so hashes run in a bounded thread pool (``hashlib.scrypt`` and argon2
release the GIL while they work). The bound keeps a burst of sign-ins from exhausting memory (each
scrypt call needs 32 MiB): no more threads than the CPUs this process may use, since more would only
queue for the same cores. The threads run at a lower scheduling priority (nice +10), so when hashing
and requests compete for a core the requests win: a burst of sign-ins does not delay other answers.
"""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from ..crypto.passwords import PasswordHasher, ScryptHasher
from ..errors import MalformedHashError


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity: a container's or ``taskset``'s limit), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def _lower_priority() -> None:
    """Make the calling worker thread yield the CPU to the event loop's thread (Linux: per-thread nice)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):  # other systems, or a sandbox that forbids it: hashing still works
        pass


class PasswordHashing:
    """Async facade over a :class:`PasswordHasher` with its own worker threads."""

    def __init__(self, hasher: PasswordHasher | None = None, *, workers: int = 4) -> None:
        self.hasher: PasswordHasher = hasher or ScryptHasher()
        self._workers = max(1, min(workers, usable_cpus()))
        self._executor: ThreadPoolExecutor | None = None
        self._dummy_hash: str | None = None

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                self._workers, thread_name_prefix="fastapi-betterauth-hash", initializer=_lower_priority
            )
        return self._executor

    async def hash(self, password: str) -> str:
        """Hash in a worker thread."""
        return await asyncio.get_running_loop().run_in_executor(self._pool(), self.hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        """Verify in a worker thread; a malformed stored hash counts as a wrong password."""
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._pool(), self.hasher.verify, password_hash, password
            )
        except MalformedHashError:
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether a verified hash should be upgraded to the configured algorithm."""
        return self.hasher.needs_rehash(password_hash)

    async def burn(self, password: str) -> None:
        """Do the work of a verification for a user that does not exist.

        Hash even when the user does not exist, so response time does not reveal which emails are
        registered.
        """
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash("dummy-password-for-timing")
        await self.verify(self._dummy_hash, password)

    def close(self) -> None:
        """Stop the worker threads."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
