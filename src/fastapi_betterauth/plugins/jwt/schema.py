"""The ``jwks`` table, exactly as Better Auth 1.7.24 creates it (``plugins/jwt/schema.ts``)."""

from __future__ import annotations

from ...db.schema import FieldSpec, TableSpec

JWKS_TABLE = TableSpec(
    "jwks",
    (
        FieldSpec("id", "string"),
        FieldSpec("publicKey", "string"),
        FieldSpec("privateKey", "string"),
        FieldSpec("createdAt", "date"),
        FieldSpec("expiresAt", "date", required=False),
        FieldSpec("alg", "string", required=False),
        FieldSpec("crv", "string", required=False),
    ),
)
