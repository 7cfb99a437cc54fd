"""The admin plugin's columns, as Better Auth 1.7.24 adds them (``plugins/admin/schema.ts``): all ``input: false``."""

from __future__ import annotations

from ...db.schema import FieldSpec, TableSpec

ADMIN_SCHEMA = (
    TableSpec(
        "user",
        (
            FieldSpec("role", "string", required=False, input=False),
            FieldSpec("banned", "boolean", required=False, input=False, default=False),
            FieldSpec("banReason", "string", required=False, input=False),
            FieldSpec("banExpires", "date", required=False, input=False),
        ),
    ),
    TableSpec("session", (FieldSpec("impersonatedBy", "string", required=False, input=False),)),
)
