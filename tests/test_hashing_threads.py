"""Password hashing threads: no more than the usable CPUs, and below the event loop's priority."""

import asyncio
import os
import sys
import threading

import pytest

from fastapi_betterauth.crypto.passwords import ScryptHasher
from fastapi_betterauth.protocol.hashing import PasswordHashing, usable_cpus

pytestmark = pytest.mark.anyio


def test_never_more_threads_than_usable_cpus() -> None:
    assert PasswordHashing(workers=64)._workers == usable_cpus()
    assert PasswordHashing(workers=1)._workers == 1
    if hasattr(os, "sched_getaffinity"):
        assert usable_cpus() == len(os.sched_getaffinity(0))


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice values are a Linux feature")
async def test_hashing_threads_yield_the_cpu_to_the_event_loop() -> None:
    hashing = PasswordHashing(ScryptHasher())
    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def nice_of_this_thread() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    worker_nice = await asyncio.get_running_loop().run_in_executor(hashing._pool(), nice_of_this_thread)
    assert worker_nice == min(base + 10, 19)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == base  # the event loop's is untouched
    assert await hashing.verify(await hashing.hash("password123"), "password123")
    hashing.close()
