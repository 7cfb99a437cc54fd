"""Turning rows into Better Auth's JSON: ISO dates, hidden fields removed, compact encoding."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import orjson

from .._dates import to_iso
from .._json_text import utf8
from ..db.adapter import Row


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_iso(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


_ENCODER = json.JSONEncoder(default=_default, separators=(",", ":"), ensure_ascii=False)
"""Made once: ``json.dumps`` with options builds a new encoder per call (every answer)."""


_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
"""Dates through ``_default`` (``toISOString``); a dataclass refused, as the standard encoder refuses it."""


def dumps(value: Any) -> bytes:
    """Compact ``JSON.stringify`` bytes; datetimes as ``toISOString()``, a lone surrogate as its escape.

    orjson writes the same bytes as the standard encoder for every answer (tests/protocol/test_wire_json.py)
    at a fraction of its CPU; what it refuses (a lone surrogate, an integer beyond 64 bits, a key that is
    not text) goes to the standard encoder, which writes it as ``JSON.stringify`` does or raises.
    """
    try:
        return orjson.dumps(value, default=_default, option=_ORJSON_OPTIONS)
    except TypeError:
        return utf8(_ENCODER.encode(value))


def public_row(row: Row, hidden: frozenset[str]) -> dict[str, Any]:
    """A row as Better Auth returns it: without ``returned: false`` fields."""
    if not hidden:
        return dict(row)
    return {k: v for k, v in row.items() if k not in hidden}
