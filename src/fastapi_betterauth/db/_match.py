"""Evaluating ``Where`` lists in Python: the reference semantics the SQL adapter must match."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .adapter import Row, Where


def _fold(value: Any, where: Where) -> Any:
    if where.mode == "insensitive" and isinstance(value, str):
        return value.lower()
    return value


def _test(row: Row, where: Where) -> bool:
    actual = _fold(row.get(where.field), where)
    op = where.operator
    if op in ("in", "not_in"):
        options = [_fold(v, where) for v in (where.value or ())]
        return (actual in options) == (op == "in")
    expected = _fold(where.value, where)
    if op == "eq":
        return bool(actual == expected)
    if op == "ne":
        return bool(actual != expected)
    if actual is None or expected is None:
        return False
    if op in ("contains", "starts_with", "ends_with"):
        if not isinstance(actual, str) or not isinstance(expected, str):
            return False
        if op == "contains":
            return expected in actual
        return actual.startswith(expected) if op == "starts_with" else actual.endswith(expected)
    try:
        if op == "lt":
            return bool(actual < expected)
        if op == "lte":
            return bool(actual <= expected)
        if op == "gt":
            return bool(actual > expected)
        if op == "gte":
            return bool(actual >= expected)
    except TypeError:
        return False
    raise ValueError(f"unknown operator {op!r}")


def matches(row: Row, where: Sequence[Where]) -> bool:
    """Better Auth's semantics: AND-connected conditions all hold, and any OR-connected one holds."""
    ands = [w for w in where if w.connector == "AND"]
    ors = [w for w in where if w.connector == "OR"]
    if not all(_test(row, w) for w in ands):
        return False
    return not ors or any(_test(row, w) for w in ors)
