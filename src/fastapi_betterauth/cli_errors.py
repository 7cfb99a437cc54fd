"""Library and database errors as the one line the ``fastapi-betterauth`` command prints instead of a trace.

Each line says what went wrong and, where there is one, the fix: the package extra of a missing driver, the
command that adds a missing column. Messages never include statement parameters or the URL's password.
"""

from __future__ import annotations

import re

from .errors import ConfigurationError


class CLIError(Exception):
    """A failure whose message already says what to do."""


_URLS = "use postgresql://user@host/db (asyncpg) or sqlite+aiosqlite:///path.db"
_CHECK = "`fastapi-betterauth check-schema --plugin …` names what is missing and the command that adds it"
_DRIVER_CLASS = re.compile(r"^<class '[\w.]+'>:\s*")


def _first_line(value: object) -> str:
    lines = str(value).strip().splitlines()
    return _DRIVER_CLASS.sub("", lines[0]) if lines else ""


def explain(exc: BaseException) -> str:
    """What to print after ``error:`` for ``exc``."""
    from alembic.util import CommandError
    from pydantic import ValidationError
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, CLIError | ConfigurationError):
        return str(exc)
    if isinstance(exc, ImportError):
        from .db.sqlalchemy import DRIVER_EXTRAS, missing_driver

        if exc.name in DRIVER_EXTRAS:
            return missing_driver(exc.name)
        return f"the Python module {exc.name} is not installed (the database driver the URL names?); {_URLS}"
    if isinstance(exc, sa_exc.NoSuchModuleError):
        return f"unknown database driver in the URL ({exc}); {_URLS}"
    if isinstance(exc, sa_exc.ArgumentError):
        return f"not a usable database URL ({_first_line(exc)}); {_URLS}"
    if isinstance(exc, OSError):
        reason = "connection refused" if isinstance(exc, ConnectionRefusedError) else _first_line(exc.strerror or exc)
        reason = reason or type(exc).__name__  # a bare TimeoutError
        return f"cannot connect to the database ({reason}): is the server running, and are the host and port right?"
    if isinstance(exc, sa_exc.DBAPIError):
        message = _first_line(exc.orig)
        if exc.statement is None or exc.connection_invalidated:
            return f"cannot connect to the database: {message}"
        lowered = message.lower()
        if "already exists" in lowered or "duplicate column" in lowered:
            return (
                f"{message}: the database has tables this creates but no record of them (made by create_schema()?);"
                f" {_CHECK} (usually `fastapi-betterauth stamp` first)"
            )
        if "does not exist" in lowered or "no such" in lowered:
            return f"{message}: the database schema is incomplete; {_CHECK}"
        return f"the database refused a statement: {message}"
    if isinstance(exc, sa_exc.SQLAlchemyError):
        return _first_line(exc)
    if isinstance(exc, CommandError):
        return f"alembic: {_first_line(exc)}"
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"invalid settings in the environment: {where}: {first['msg']}"
    return f"{type(exc).__name__}: {_first_line(exc)} (run with --traceback to see where)"
