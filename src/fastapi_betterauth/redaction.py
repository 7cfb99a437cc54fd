"""Logging failures without the data they were about.

A database error's message names the values it was given (SQLAlchemy's ``[parameters: ...]``,
PostgreSQL's ``DETAIL: Key (email)=(...)``): logged with ``logger.exception`` it would write emails,
tokens or password hashes into the logs. ``redacted_traceback`` keeps what a developer needs (the
exception types and where they were raised) and leaves every message out.
"""

from __future__ import annotations

import traceback


def redacted_traceback(error: BaseException) -> str:
    """The traceback of ``error`` and of the exceptions that led to it, without any exception message."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    parts: list[str] = []
    for exc in reversed(chain):
        if parts:
            parts.append("\nwhich led to:\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(exc.__traceback__))
        parts.append(f"{type(exc).__module__}.{type(exc).__qualname__} (message withheld: it may carry user data)\n")
    return "".join(parts)
