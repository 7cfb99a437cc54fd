"""Dates as Better Auth handles them: aware UTC, millisecond precision, ``toISOString()`` text."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """Current UTC time at JavaScript's millisecond precision."""
    t = datetime.now(UTC)
    return t.replace(microsecond=t.microsecond - t.microsecond % 1000)


def to_iso(value: datetime) -> str:
    """JS ``toISOString()``: UTC, three fractional digits, ``Z`` suffix (every date of every answer and token).

    Formatted by hand: ``isoformat(timespec=...)`` of an aware date costs three times as much (the offset),
    and get-session writes seven dates.
    """
    if value.utcoffset():  # naive dates are stored UTC; an aware one in another zone is converted
        value = value.astimezone(UTC)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (  # noqa: UP031 (one C call, no format-spec parsing)
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond // 1000,
    )


def parse_iso(value: str) -> datetime:
    """Parse a stored ISO-8601 date (as written by us or by Better Auth) into aware UTC."""
    parsed = datetime.fromisoformat(value if "T" in value else value.replace(" ", "T", 1))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
