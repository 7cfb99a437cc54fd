"""Password hashing off the event loop.

Scrypt with Better Auth's parameters costs about 100 ms of CPU. Running it on the event loop would
stall every other request, so hashes run in a bounded thread pool (``hashlib.scrypt`` and argon2
release the GIL while they work). The bound keeps a burst of sign-ins from exhausting memory:
each scrypt call needs 16 MiB.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

from ..crypto.passwords import PasswordHasher, ScryptHasher
from ..errors import MalformedHashError


class PasswordHashing:
    """Async facade over a :class:`PasswordHasher` with its own worker threads."""

    def __init__(self, hasher: PasswordHasher | None = None, *, workers: int = 4) -> None:
        self.hasher: PasswordHasher = hasher or ScryptHasher()
        self._workers = max(1, min(workers, (os.cpu_count() or 1) * 2))
        self._executor: ThreadPoolExecutor | None = None
        self._dummy_hash: str | None = None

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._workers, thread_name_prefix="fastapi-betterauth-hash")
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
