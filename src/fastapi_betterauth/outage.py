"""A database that stops answering: recognised, answered with 503, logged once per outage.

During an outage every request that needs the database fails the same way; logging each one would
bury the logs (and SQLAlchemy's messages quote the statement and its parameters). So the
``DatabaseMonitor`` of an instance logs one WARNING when the first failure arrives and one INFO when
the database answers again, with exception class names only. Recovery needs no restart: SQLAlchemy
discards the connections a disconnect invalidated, and the asyncpg pools reconnect on their next use.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, cast

from sqlalchemy import exc as sa_exc

from .db.adapter import Adapter, Where

logger = logging.getLogger("fastapi_betterauth.database")

_DRIVER_MODULES = ("asyncpg", "sqlalchemy", "aiosqlite", "sqlite3", "psycopg", "fastapi_betterauth.db")
"""Where an ``OSError`` (refused, reset, timed out) must have passed to be the database's."""

_SQLITE_BUSY = ("database is locked", "database table is locked", "unable to open database file", "disk i/o error")
"""SQLite errors that pass (a writer holding the lock beyond ``busy_timeout``, a missing or failing disk).

The other ``sqlite3.OperationalError`` messages ("no such table", a syntax error) are bugs or a missing
schema, and stay 500s.
"""


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error``, the driver error SQLAlchemy wrapped (``orig``) and their causes, each once."""
    seen: set[int] = set()
    pending: deque[BaseException] = deque([error])
    while pending:
        current = pending.popleft()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for linked in (getattr(current, "orig", None), current.__cause__, current.__context__):
            if isinstance(linked, BaseException):
                pending.append(linked)


def _raised_in_driver(error: BaseException) -> bool:
    """Whether ``error`` travelled through database driver (or SQLAlchemy) code."""
    tb = error.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if isinstance(module, str) and module.startswith(_DRIVER_MODULES):
            return True
        tb = tb.tb_next
    return False


def _asyncpg_unavailable(error: BaseException) -> bool:
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - the postgres extra is not installed
        return False
    lost = (
        asyncpg.PostgresConnectionError,  # includes ConnectionDoesNotExistError: the server went away mid-query
        asyncpg.CannotConnectNowError,  # starting up or shutting down
        asyncpg.AdminShutdownError,
        asyncpg.CrashShutdownError,
        asyncpg.TooManyConnectionsError,
    )
    if isinstance(error, lost):
        return True
    # asyncpg's own InterfaceError says "connection is closed" / "pool is closing"; its subclasses
    # (DataError: a bad query argument...) are bugs, not outages.
    message = str(error.args[0]) if error.args else ""
    return type(error) is asyncpg.InterfaceError and ("closed" in message or "closing" in message)


def _one_unavailable(error: BaseException) -> bool:
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True  # SQLAlchemy's dialect recognised a disconnect
    if isinstance(error, sa_exc.DisconnectionError | sa_exc.TimeoutError):
        return True  # a dead pooled connection, or no pooled connection within pool_timeout
    # sqlite3 is looked up, not imported: a server on PostgreSQL never loads it (its errors need it loaded).
    sqlite3 = sys.modules.get("sqlite3")
    if isinstance(error, sa_exc.OperationalError) and not (sqlite3 and isinstance(error.orig, sqlite3.Error)):
        return True  # other drivers (psycopg...) report lost and refused connections so
    if sqlite3 is not None and isinstance(error, sqlite3.OperationalError):
        message = str(error.args[0]).lower() if error.args else ""
        return message.startswith(_SQLITE_BUSY)
    if isinstance(error, OSError):  # ConnectionRefusedError, TimeoutError, a DNS failure...
        return _raised_in_driver(error)
    return _asyncpg_unavailable(error)


def is_database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be reached right now (so 503 and retry, not 500).

    True for lost or refused connections (SQLAlchemy's disconnect detection, its pool ``TimeoutError``,
    asyncpg's connection errors, an ``OSError`` raised inside a driver), a server starting up, shutting
    down or out of connections, and SQLite's "database is locked" / unreadable file. A bug (a missing
    table, bad SQL, a constraint) is not an outage.
    """
    return any(_one_unavailable(e) for e in _chain(error))


def describe(error: BaseException) -> str:
    """The class names of ``error`` and the driver error under it: never a message (they quote SQL)."""
    names: list[str] = []
    for linked in _chain(error):
        name = type(linked).__name__
        if name not in names and not isinstance(linked, asyncio.CancelledError):  # a timeout's inner workings
            names.append(name)
    return " <- ".join(names[:3])


class DatabaseMonitor:
    """Whether the database answers, as requests see it; logs an outage once when it begins and ends.

    ``failed`` is called with each outage error, ``answered`` when the database is known to answer.
    ``recheck`` is for requests that succeeded during an outage without proving anything about the
    database (they may not have used it): it probes at most every ``interval`` seconds.
    """

    def __init__(self, *, interval: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._down_since: float | None = None
        self._failures = 0
        self._probed_at = float("-inf")

    @property
    def down(self) -> bool:
        """Whether an outage is in progress (a failure seen, no answer since)."""
        return self._down_since is not None

    def failed(self, error: BaseException) -> None:
        """Count an outage error; the first one of an outage is logged (class names only)."""
        if self._down_since is None:
            self._down_since = self._clock()
            self._failures = 0
            logger.warning(
                "database unavailable (%s): answering 503 DATABASE_UNAVAILABLE until it answers again",
                describe(error),
            )
        self._failures += 1

    def answered(self) -> None:
        """The database answered: an outage in progress ends (logged once)."""
        if self._down_since is None:
            return
        lasted = self._clock() - self._down_since
        self._down_since = None
        logger.info("database answers again after %.1f s (%d failures meanwhile)", lasted, self._failures)

    async def recheck(self, probe: Callable[[], Awaitable[object]], timeout: float = 1.0) -> None:
        """During an outage, run ``probe`` (at most every ``interval`` s); its success ends the outage."""
        if self._down_since is None or self._clock() - self._probed_at < self.interval:
            return
        self._probed_at = self._clock()
        try:
            await asyncio.wait_for(probe(), timeout)
        except Exception:  # still down (or a stranger failure): the next recheck tries again
            return
        self.answered()


async def ping_database(adapter: Adapter) -> None:
    """One round trip to the database: ``SELECT 1`` on a SQLAlchemy adapter, an id lookup on any other.

    Raises:
        Exception: whatever the driver raises when the database does not answer.
    """
    from .db.sqlalchemy import SQLAlchemyAdapter

    if isinstance(adapter, SQLAlchemyAdapter):
        async with adapter._reading() as conn:  # takes turns on a one-connection (in-memory SQLite) engine
            await conn.exec_driver_sql("SELECT 1")
        return
    await adapter.find_one("user", [Where("id", "")])


def database_of(instance: Any) -> Adapter | None:
    """The database of a ``BetterAuth`` (its adapter) or a ``ResourceServer`` (its session verifier's)."""
    sessions = getattr(instance, "sessions", None)
    adapter = getattr(sessions, "adapter", None) if sessions is not None else getattr(instance, "adapter", None)
    return cast(Adapter | None, adapter)
