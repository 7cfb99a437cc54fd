"""Checking Better Auth session cookies (and bearer session tokens) against a shared database, read-only.

For a FastAPI app beside a TypeScript Better Auth server on the same database: the signed
``better-auth.session_token`` (or ``Authorization: Bearer <signed or raw token>``) is verified with
the shared secret and looked up with one indexed join. Nothing is written: expired sessions are
refused but left for the issuer to clean up, and expiry is never extended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import replace

from ..db.adapter import Adapter, Row
from ..db.schema import CORE_SCHEMA, merge_schema
from ..db.session_cache import SessionCache
from ..db.store import AuthStore, is_expired
from ..errors import ConfigurationError
from ..plugins.admin.schema import ADMIN_SCHEMA
from ..protocol.credentials import CredentialReader
from ..storage.secondary import SecondaryStorage


class SessionVerifier:
    """Read-only session lookups.

    Args:
        database: SQLAlchemy async URL of the database the issuer writes (or pass ``adapter``).
        adapter: an :class:`~fastapi_betterauth.Adapter` instead of ``database``.
        secret: the issuer's ``BETTER_AUTH_SECRET``.
        previous_secrets: older secrets still accepted.
        cookie_prefix: the issuer's ``advanced.cookiePrefix``.
        secure_cookies: whether the issuer sets ``__Secure-`` cookies (its ``baseURL`` is https). Only
            that one cookie name is read: accepting the plain name where the ``__Secure-`` one is
            expected would let anyone who can set a cookie on the domain sign the victim into their own
            account (login CSRF). ``None``: the ``__Secure-`` name on https requests, the plain one on
            http; behind a proxy that terminates TLS without forwarding the scheme, pass ``True``.
        accept_bearer: also accept ``Authorization: Bearer <session token>`` (the bearer plugin's form).
        require_signature: with ``accept_bearer``, refuse raw (unsigned) tokens.
        secondary_storage: the issuer's ``secondaryStorage`` (e.g. ``RedisStorage(url)`` with its key
            prefix): where an issuer with secondary storage keeps its sessions (read only).
        store_session_in_database: the issuer's ``session.storeSessionInDatabase``: a session missing
            from secondary storage is then looked up in the database.
    """

    def __init__(
        self,
        *,
        secret: str,
        database: str | None = None,
        adapter: Adapter | None = None,
        previous_secrets: Sequence[str] = (),
        cookie_prefix: str = "better-auth",
        secure_cookies: bool | None = None,
        accept_bearer: bool = True,
        require_signature: bool = False,
        secondary_storage: SecondaryStorage | None = None,
        store_session_in_database: bool = False,
    ) -> None:
        if (database is None) == (adapter is None):
            raise ConfigurationError("SessionVerifier needs exactly one of database= or adapter=")
        if adapter is None:
            from ..db.sqlalchemy import SQLAlchemyAdapter

            assert database is not None
            adapter = SQLAlchemyAdapter(database)
        self.adapter = adapter
        cache = None if secondary_storage is None else SessionCache(secondary_storage, revoked_ttl=86400)
        self.secondary_storage = secondary_storage
        self.store = AuthStore(adapter, cache=cache, sessions_in_database=store_session_in_database)
        self.secret = secret
        self.secrets = (secret, *previous_secrets)
        self.reader = CredentialReader(
            secret, self.secrets, accept_bearer=accept_bearer, require_signature=require_signature
        )
        self.secure_cookies = secure_cookies
        self.secure_cookie_name = f"__Secure-{cookie_prefix}.session_token"
        self.plain_cookie_name = f"{cookie_prefix}.session_token"
        self.accept_bearer = accept_bearer
        self.require_signature = require_signature
        self._columns_checked = False
        self._columns_lock = asyncio.Lock()

    def cookie_name(self, url: str | None) -> str:
        """The one session cookie name read for a request to ``url``."""
        secure = self.secure_cookies
        if secure is None:
            secure = url is not None and url.startswith("https://")
        return self.secure_cookie_name if secure else self.plain_cookie_name

    def token(self, headers: Mapping[str, str], *, url: str | None = None) -> tuple[str, str] | None:
        """``(session token, "cookie" | "bearer")`` from verified credentials, or ``None``."""
        found = self.reader.session(headers, cookie_name=self.cookie_name(url))
        return None if found is None else (found.token, found.via)

    async def _adopt_issuer_columns(self) -> None:
        """Read the admin plugin's columns (``role``, ``banned``...) where the issuer's database has them.

        Without them ``require_role`` would see no role and a ban would go unseen.
        """
        if self._columns_checked:
            return
        async with self._columns_lock:
            if not self._columns_checked:
                present = {name: await self.adapter.existing_columns(name) for name in ("user", "session")}
                extra = tuple(
                    replace(table, fields=tuple(f for f in table.fields if f.name in present[table.name]))
                    for table in ADMIN_SCHEMA
                )
                self.adapter.use_schema(merge_schema(CORE_SCHEMA, extra))
            self._columns_checked = True

    async def lookup(self, headers: Mapping[str, str], *, url: str | None = None) -> tuple[Row, Row, str] | None:
        """``(session, user, via)`` for a live session, or ``None``; ``url`` is the request's (for the cookie name)."""
        found = self.token(headers, url=url)
        if found is None:
            return None
        await self._adopt_issuer_columns()
        token, via = found
        rows = await self.store.find_session(token)
        if rows is None or is_expired(rows[0]):
            return None
        return rows[0], rows[1], via

    async def find_user(self, user_id: str) -> Row | None:
        """The user row with ``user_id`` (a JWT's ``sub``), with the issuer's admin columns."""
        await self._adopt_issuer_columns()
        return await self.store.find_user_by_id(user_id)

    async def close(self) -> None:
        """Release the database (and secondary storage) connections."""
        await self.adapter.close()
        if self.secondary_storage is not None:
            await self.secondary_storage.close()
