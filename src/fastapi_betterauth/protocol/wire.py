"""Turning rows into Better Auth's JSON: ISO dates, hidden fields removed, compact encoding."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from .._dates import to_iso
from .._json_text import utf8
from ..db.adapter import Row


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_iso(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


_ENCODER = json.JSONEncoder(default=_default, separators=(",", ":"), ensure_ascii=False)
"""Made once: ``json.dumps`` with options builds a new encoder per call (every answer)."""


def dumps(value: Any) -> bytes:
    """Compact ``JSON.stringify`` bytes; datetimes as ``toISOString()``, a lone surrogate as its escape."""
    return utf8(_ENCODER.encode(value))


def public_row(row: Row, hidden: frozenset[str]) -> dict[str, Any]:
    """A row as Better Auth returns it: without ``returned: false`` fields."""
    if not hidden:
        return dict(row)
    return {k: v for k, v in row.items() if k not in hidden}
