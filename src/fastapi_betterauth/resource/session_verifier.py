"""Checking Better Auth session cookies (and bearer session tokens) against a shared database, read-only.

For a FastAPI app beside a TypeScript Better Auth server on the same database: the signed
``better-auth.session_token`` (or ``Authorization: Bearer <signed or raw token>``) is verified with
the shared secret and looked up with one indexed join. Nothing is written: expired sessions are
refused but left for the issuer to clean up, and expiry is never extended.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import unquote

from ..crypto.signing import sign_value, unsign_cookie_value, unsign_value
from ..db.adapter import Adapter, Row
from ..db.store import AuthStore, is_expired
from ..errors import ConfigurationError, CryptoError
from ..protocol.cookies import parse_cookie_header

BEARER = "bearer "


class SessionVerifier:
    """Read-only session lookups.

    Args:
        database: SQLAlchemy async URL of the database the issuer writes (or pass ``adapter``).
        adapter: an :class:`~fastapi_betterauth.Adapter` instead of ``database``.
        secret: the issuer's ``BETTER_AUTH_SECRET``.
        previous_secrets: older secrets still accepted.
        cookie_prefix: the issuer's ``advanced.cookiePrefix``.
        accept_bearer: also accept ``Authorization: Bearer <session token>`` (the bearer plugin's form).
        require_signature: with ``accept_bearer``, refuse raw (unsigned) tokens.
    """

    def __init__(
        self,
        *,
        secret: str,
        database: str | None = None,
        adapter: Adapter | None = None,
        previous_secrets: Sequence[str] = (),
        cookie_prefix: str = "better-auth",
        accept_bearer: bool = True,
        require_signature: bool = False,
    ) -> None:
        if (database is None) == (adapter is None):
            raise ConfigurationError("SessionVerifier needs exactly one of database= or adapter=")
        if adapter is None:
            from ..db.sqlalchemy import SQLAlchemyAdapter

            assert database is not None
            adapter = SQLAlchemyAdapter(database)
        self.adapter = adapter
        self.store = AuthStore(adapter)
        self.secret = secret
        self.secrets = (secret, *previous_secrets)
        self.cookie_names = (f"__Secure-{cookie_prefix}.session_token", f"{cookie_prefix}.session_token")
        self.accept_bearer = accept_bearer
        self.require_signature = require_signature

    def token(self, headers: Mapping[str, str]) -> tuple[str, str] | None:
        """``(session token, "cookie" | "bearer")`` from verified credentials, or ``None``."""
        cookies = parse_cookie_header(headers.get("cookie"))
        for name in self.cookie_names:
            raw = cookies.get(name)
            if raw:
                try:
                    return unsign_cookie_value(raw, self.secrets), "cookie"
                except (CryptoError, UnicodeError, ValueError):
                    continue
        header = headers.get("authorization")
        if not self.accept_bearer or not header or header[:7].lower() != BEARER:
            return None
        value = header[7:].strip()
        if not value or value.count(".") == 2:
            return None  # empty, or a JWT: not a session token
        if "." not in value:
            if self.require_signature:
                return None
            value = sign_value(value, self.secret)
        try:
            return unsign_value(unquote(value) if "%" in value else value, self.secrets), "bearer"
        except (CryptoError, UnicodeError, ValueError):
            return None

    async def lookup(self, headers: Mapping[str, str]) -> tuple[Row, Row, str] | None:
        """``(session, user, via)`` for a live session, or ``None``."""
        found = self.token(headers)
        if found is None:
            return None
        token, via = found
        rows = await self.store.find_session(token)
        if rows is None or is_expired(rows[0]):
            return None
        return rows[0], rows[1], via

    async def close(self) -> None:
        """Release the database connections."""
        await self.adapter.close()
