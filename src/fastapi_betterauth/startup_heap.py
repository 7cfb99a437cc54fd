"""Keeping the cyclic garbage collector off the heap that startup built.

A FastAPI server with this library holds a few hundred thousand long-lived objects once started (modules,
pydantic models, SQLAlchemy tables, routes). CPython's full collections walk all of them: under load each one
paused the event loop for tens of milliseconds, which was most of get-session's p99 (docs/performance.md).
``gc.freeze()`` moves them to the permanent generation, which collections skip; objects made afterwards are
collected as before, and objects freed by reference counting (nearly all of them) are freed as before.
"""

from __future__ import annotations

import gc

_frozen = False


def freeze_startup_heap() -> bool:
    """Collect once, then freeze what is left; only the first call in a process does anything.

    Returns whether this call froze the heap.
    """
    global _frozen
    if _frozen:
        return False
    _frozen = True
    gc.collect()  # garbage made while starting is freed, not frozen
    gc.freeze()
    return True
