"""Revocation that reaches the jwt plugin's JWTs (``jwt(revocation=True)``; this library's, off by default).

A JWT is self-contained: in Better Auth it stays valid after sign-out, "revoke sessions" or a ban until
it expires. With revocation on, each JWT carries its session's id (``sid``, a claim Better Auth's
verifiers ignore), every session that ends writes ``jwt-revoked:<sid>`` to the secondary storage for as
long as a JWT of it can live, and verification refuses a JWT whose session ended: one key lookup per
request (memory, or Redis shared by every worker and by other servers verifying these JWTs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...crypto.jwt import JWTError
from ...db.adapter import Row
from ...storage.secondary import SecondaryStorage

KEY_PREFIX = "jwt-revoked:"
SESSION_CLAIM = "sid"


class RevocationList:
    """Ended sessions whose JWTs may still be unexpired."""

    def __init__(self, storage: SecondaryStorage, *, token_lifetime: int, leeway: int = 5) -> None:
        self.storage = storage
        self.ttl = token_lifetime + leeway + 1
        """A revocation is kept as long as a JWT issued just before it can be accepted."""

    async def sessions_ended(self, rows: Sequence[Row]) -> None:
        """Record sessions that were signed out, revoked, expired or deleted with their user."""
        for row in rows:
            session_id = row.get("id")
            if isinstance(session_id, str) and session_id:
                await self.storage.set(KEY_PREFIX + session_id, "1", self.ttl)

    async def check(self, claims: Mapping[str, Any]) -> None:
        """Refuse a JWT whose session ended (a JWT without ``sid`` predates revocation: accepted).

        Raises:
            JWTError: ``reason="revoked"``.
        """
        session_id = claims.get(SESSION_CLAIM)
        if isinstance(session_id, str) and session_id and await self.storage.get(KEY_PREFIX + session_id):
            raise JWTError("the session of this token has ended", reason="revoked")
