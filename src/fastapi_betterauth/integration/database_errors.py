"""The app's own routes during a database outage: 503 ``DATABASE_UNAVAILABLE``, not a 500.

Installed by ``auth.lifespan`` (``install``) for the exception classes a lost database raises, so a route
querying with the app's own SQLAlchemy engine answers like the auth routes do. Only real outages
(:func:`~fastapi_betterauth.outage.is_database_unavailable`) are answered: any other error of those classes
is raised on, to whatever would have handled it. A handler the app registered itself for one of those
classes (or a base class other than ``Exception``) is left in charge.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import exc as sa_exc
from starlette.responses import Response

from ..errors import database_unavailable
from ..outage import DatabaseMonitor, is_database_unavailable
from .responses import error_to_response


def _outage_classes() -> tuple[type[BaseException], ...]:
    """What a lost, refused or overloaded database raises (SQLAlchemy, asyncpg, the socket underneath)."""
    classes: list[type[BaseException]] = [sa_exc.DBAPIError, sa_exc.DisconnectionError, sa_exc.TimeoutError, OSError]
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - the postgres extra is not installed
        return tuple(classes)
    return (*classes, asyncpg.PostgresError, asyncpg.InterfaceError)


def _already_handled(handlers: dict[Any, Any], cls: type[BaseException]) -> bool:
    """Whether the app has its own handler for ``cls`` or a base of it (``Exception`` aside: that is the 500)."""
    return any(
        isinstance(key, type) and key not in (Exception, BaseException) and issubclass(cls, key) for key in handlers
    )


def install_database_error_handler(app: Any, monitor: DatabaseMonitor | None) -> None:
    """Answer the app's own database outages with Better Auth's ``{message, code}`` 503 and ``Retry-After``."""
    handlers = getattr(app, "exception_handlers", None)
    if not isinstance(handlers, dict):
        return

    async def render(request: Request, exc: Exception) -> Response:
        if not is_database_unavailable(exc):
            raise exc  # not an outage: on to the app's 500 handling, as without this handler
        if monitor is not None:
            monitor.failed(exc)  # logged once per outage, class names only
        return error_to_response(database_unavailable())

    added = False
    for cls in _outage_classes():
        if not _already_handled(handlers, cls):
            app.add_exception_handler(cls, render)
            added = True
    if added and getattr(app, "middleware_stack", None) is not None:
        app.middleware_stack = None  # built before the lifespan ran: rebuild it with the handlers
