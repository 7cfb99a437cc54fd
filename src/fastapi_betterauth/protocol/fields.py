"""The one place that decides whether a value fits a column: additional and plugin fields from requests.

Sign-up, update-user, update-session and the admin routes store fields the schema declares but no
request model types (``additionalFields``, plugin columns). Each value is checked here against its
column's type, so a wrong type is a 400 ``VALIDATION_ERROR`` in zod's words, never a database error.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .._dates import parse_iso
from ..db.schema import FieldSpec, TableSpec
from ..errors import AuthError, ErrorCode
from .validation import js_type, reject_unstorable


def typed_value(spec: FieldSpec, value: Any, *, where: str) -> Any:
    """``value`` as the column stores it (ISO strings and JavaScript millisecond timestamps become dates).

    Raises:
        AuthError: 400 ``VALIDATION_ERROR``: ``[<where>.<field>] Invalid input: expected <type>, received
            <type>``, or NUL characters (which PostgreSQL cannot store).
    """

    def invalid() -> AuthError:
        expected = "record" if spec.type == "json" else spec.type
        return AuthError(
            400,
            ErrorCode.VALIDATION_ERROR,
            f"[{where}.{spec.name}] Invalid input: expected {expected}, received {js_type(value)}",
        )

    if value is None:
        if spec.required:
            raise invalid()
        return None
    reject_unstorable(value, f"{where}.{spec.name}")
    if spec.type == "string":
        ok = isinstance(value, str)
    elif spec.type == "boolean":
        ok = isinstance(value, bool)
    elif spec.type == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif spec.type == "date":
        return _date(value, invalid)
    else:  # json: any JSON value
        ok = True
    if not ok:
        raise invalid()
    return value


def _date(value: Any, invalid: Any) -> datetime:
    try:
        if isinstance(value, str):
            return parse_iso(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value / 1000, UTC)  # a JavaScript timestamp in ms
    except (ValueError, OverflowError, OSError):
        raise invalid() from None
    raise invalid()


def typed_values(table: TableSpec, data: Mapping[str, Any], *, where: str) -> dict[str, Any]:
    """The values of ``data`` for ``table``'s columns (others and ``id`` dropped), each type-checked.

    Raises:
        AuthError: 400 ``VALIDATION_ERROR`` naming the first field whose value does not fit.
    """
    return {
        key: typed_value(table.field(key), value, where=where)
        for key, value in data.items()
        if key != "id" and table.has(key)
    }
