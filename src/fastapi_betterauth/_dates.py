"""Dates as Better Auth handles them: aware UTC, millisecond precision, ``toISOString()`` text."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """Current UTC time at JavaScript's millisecond precision."""
    t = datetime.now(UTC)
    return t.replace(microsecond=t.microsecond - t.microsecond % 1000)


def to_iso(value: datetime) -> str:
    """JS ``toISOString()``: UTC, three fractional digits, ``Z`` suffix (every date of every answer)."""
    offset = value.utcoffset()
    if offset is None:  # naive: stored UTC
        return value.isoformat(timespec="milliseconds") + "Z"
    if offset:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="milliseconds")[:-6] + "Z"  # without "+00:00": one call, no copy


def parse_iso(value: str) -> datetime:
    """Parse a stored ISO-8601 date (as written by us or by Better Auth) into aware UTC."""
    parsed = datetime.fromisoformat(value if "T" in value else value.replace(" ", "T", 1))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
