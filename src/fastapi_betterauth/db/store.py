"""Domain operations over the adapter: the only code that builds ``Where`` lists.

Mirrors ``better-auth/dist/db/internal-adapter.mjs``. Rows keep Better Auth's field names; dates are
aware UTC datetimes truncated to milliseconds, the precision JavaScript dates have, so a value
written here reads back identically from either server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from .._dates import now
from ..crypto.random import generate_id, generate_token
from .adapter import Adapter, Operator, Row, SortBy, Where
from .session_cache import SessionCache

CREDENTIAL_PROVIDER = "credential"
AUTH_EVENT_MODEL = "auth_event"
"""The optional audit table (``AuditTrail(store=True)``)."""
MAX_LISTED_SESSIONS = 1000
"""The most sessions a list answers (``list-sessions``, ``/admin/list-user-sessions``)."""


class AuthStore:
    """Users, sessions, accounts and verification rows, in Better Auth's shapes.

    With a :class:`SessionCache` (secondary storage), sessions and verification values live there as
    Better Auth keeps them, and in the database only when ``sessions_in_database`` /
    ``verification_in_database`` say so (Better Auth's ``storeSessionInDatabase`` /
    ``verification.storeInDatabase``).
    """

    def __init__(
        self,
        adapter: Adapter,
        *,
        cache: SessionCache | None = None,
        sessions_in_database: bool = False,
        preserve_sessions: bool = False,
        verification_in_database: bool = False,
    ) -> None:
        self.adapter = adapter
        self.cache = cache
        self.sessions_in_db = cache is None or sessions_in_database
        """Whether session rows are written to the database."""
        self.preserve_sessions = cache is not None and sessions_in_database and preserve_sessions
        self.session_fallback = cache is not None and sessions_in_database and not preserve_sessions
        """Better Auth's ``databaseSessionFallbackEnabled``: read the database when the cache misses."""
        self.verification_in_db = cache is None or verification_in_database
        self._last_purge: datetime | None = None
        self.user_defaults: list[Callable[[Row], Row]] = []
        """Plugins' defaults for new users (the admin plugin's ``role``), applied before insert."""
        self.before_session_create: list[Callable[[str], Awaitable[None]]] = []
        """Plugins' checks before a session is created for a user id (the admin plugin refuses banned users)."""
        self.on_sessions_ended: list[Callable[[Sequence[Row]], Awaitable[None]]] = []
        """Told of sessions that end by sign-out, revocation, expiry or user deletion (the jwt plugin's
        revocation list); listening costs one read of the sessions before they are deleted."""

    # -- users ---------------------------------------------------------------------------------

    def new_user_row(self, data: Row) -> Row:
        """The row :meth:`create_user` would insert for ``data`` (plugins' defaults applied), unsaved."""
        t = now()
        row = {
            "emailVerified": False,
            "image": None,
            **data,
            "id": data.get("id") or generate_id(),
            "email": str(data["email"]).lower(),
            "createdAt": t,
            "updatedAt": t,
        }
        for defaults in self.user_defaults:
            row = defaults(row)
        return row

    async def create_user(self, data: Row, *, adapter: Adapter | None = None) -> Row:
        """Insert a user; ``email`` is lower-cased as Better Auth does."""
        return await (adapter or self.adapter).create("user", self.new_user_row(data))

    async def list_users(
        self,
        *,
        conditions: Sequence[tuple[str, Operator, Any]] = (),
        sort_by: SortBy | None = None,
        limit: int,
        offset: int = 0,
    ) -> tuple[list[Row], int]:
        """A page of users matching every ``(field, operator, value)`` condition, and how many match in all.

        Raises:
            ConfigurationError: a condition or the sort names a field the user table does not have.
        """
        where = [Where(field, value, operator) for field, operator, value in conditions]
        rows = await self.adapter.find_many("user", where, limit=limit, offset=offset, sort_by=sort_by)
        return rows, await self.adapter.count("user", where)

    async def find_user_by_email(self, email: str) -> Row | None:
        """The user with this email (case-insensitive, as emails are stored lower-cased)."""
        return await self.adapter.find_one("user", [Where("email", email.lower())])

    async def find_user_by_id(self, user_id: str) -> Row | None:
        """The user with this id."""
        return await self.adapter.find_one("user", [Where("id", user_id)])

    async def update_user(self, user_id: str, values: Row) -> Row | None:
        """Update a user and bump ``updatedAt`` (and the user cached in each of its sessions)."""
        updated = await self.adapter.update("user", [Where("id", user_id)], {**values, "updatedAt": now()})
        if updated is not None and self.cache is not None:
            await self.cache.refresh_user(updated)
        return updated

    async def delete_user(self, user_id: str) -> None:
        """Delete a user with its sessions and accounts (explicitly, as Better Auth does)."""
        ending = await self.list_sessions(user_id) if self.on_sessions_ended else []
        async with self.adapter.transaction() as tx:
            if self.sessions_in_db:
                await tx.delete("session", [Where("userId", user_id)])
            await tx.delete("account", [Where("userId", user_id)])
            await tx.delete("user", [Where("id", user_id)])
        if self.cache is not None:
            await self.cache.revoke_all(user_id)
        await self._ended(ending)

    # -- accounts ------------------------------------------------------------------------------

    async def create_account(self, data: Row, *, adapter: Adapter | None = None) -> Row:
        """Insert an account row."""
        t = now()
        row = {"id": generate_id(), "createdAt": t, "updatedAt": t, **data}
        return await (adapter or self.adapter).create("account", row)

    async def create_credential_account(
        self, user_id: str, password_hash: str, *, adapter: Adapter | None = None
    ) -> Row:
        """The email/password account of a user: ``providerId="credential"``, ``accountId`` = user id."""
        return await self.create_account(
            {"userId": user_id, "accountId": user_id, "providerId": CREDENTIAL_PROVIDER, "password": password_hash},
            adapter=adapter,
        )

    async def find_accounts(self, user_id: str) -> list[Row]:
        """Every account of a user."""
        return await self.adapter.find_many("account", [Where("userId", user_id)])

    async def find_credential_account(self, user_id: str) -> Row | None:
        """The email/password account: ``providerId="credential"`` and ``accountId`` = user id."""
        return await self.adapter.find_one(
            "account",
            [Where("userId", user_id), Where("providerId", CREDENTIAL_PROVIDER), Where("accountId", user_id)],
        )

    async def find_account_by_key(self, provider_id: str, account_id: str) -> Row | None:
        """The account a provider knows as ``account_id`` (Better Auth ``findAccountByProviderId``)."""
        return await self.adapter.find_one(
            "account", [Where("providerId", provider_id), Where("accountId", account_id)]
        )

    async def update_account(self, account_id: str, values: Row) -> Row | None:
        """Update an account row and bump ``updatedAt``."""
        return await self.adapter.update("account", [Where("id", account_id)], {**values, "updatedAt": now()})

    async def create_user_with_account(self, user: Row, account: Row) -> tuple[Row, Row]:
        """A new user and its first account, in one transaction (social sign-up)."""
        async with self.adapter.transaction() as tx:
            created = await self.create_user(user, adapter=tx)
            linked = await self.create_account({**account, "userId": created["id"]}, adapter=tx)
        return created, linked

    async def delete_account(self, account_id: str) -> None:
        """Delete one account row."""
        await self.adapter.delete("account", [Where("id", account_id)])

    async def update_password(self, account_id: str, password_hash: str, *, adapter: Adapter | None = None) -> None:
        """Replace the stored hash of an account."""
        await (adapter or self.adapter).update(
            "account", [Where("id", account_id)], {"password": password_hash, "updatedAt": now()}
        )

    # -- sessions ------------------------------------------------------------------------------

    async def create_session(
        self,
        user_id: str,
        *,
        expires_in: int,
        ip_address: str,
        user_agent: str,
        extra: Row | None = None,
        adapter: Adapter | None = None,
    ) -> Row:
        """A new session row with a fresh 32-character token (plugins' checks run first and may refuse)."""
        for check in self.before_session_create:
            await check(user_id)
        t = now()
        row = {
            "id": generate_id(),
            "token": generate_token(),
            "userId": user_id,
            "expiresAt": t + timedelta(seconds=expires_in),
            "createdAt": t,
            "updatedAt": t,
            "ipAddress": ip_address,
            "userAgent": user_agent,
            **(extra or {}),
        }
        if self.sessions_in_db:
            row = await (adapter or self.adapter).create("session", row)
        if self.cache is not None:
            user = await (adapter or self.adapter).find_one("user", [Where("id", user_id)])
            if user is not None:
                await self.cache.put(row, user)
        return row

    async def find_session(self, token: str) -> tuple[Row, Row] | None:
        """The session with this token and its user, or ``None`` (expiry is checked by the caller)."""
        if self.cache is not None:
            found = await self.cache.get(token)
            if found is not False or not self.session_fallback:
                return found or None
        return await self.adapter.find_session_and_user(token)

    async def list_sessions(
        self, user_id: str, *, active_only: bool = True, adapter: Adapter | None = None
    ) -> list[Row]:
        """A user's sessions (only unexpired ones unless ``active_only=False``), oldest first.

        At most the newest ``MAX_LISTED_SESSIONS``: one account signing in endlessly cannot make a list
        answer (or its query) unbounded.
        """
        if self.cache is not None and not self.session_fallback:
            cached = await self.cache.list(user_id)
            if active_only:
                cached = [row for row in cached if not is_expired(row)]
            cached.sort(key=lambda row: row["createdAt"])
            return cached[-MAX_LISTED_SESSIONS:]
        where = [Where("userId", user_id)]
        if active_only:
            where.append(Where("expiresAt", now(), "gt"))
        newest = await (adapter or self.adapter).find_many(
            "session", where, limit=MAX_LISTED_SESSIONS, sort_by=SortBy("createdAt", "desc")
        )
        return newest[::-1]

    async def update_session(self, token: str, values: Row) -> Row | None:
        """Update a session by token (``updatedAt`` is part of ``values`` where Better Auth sets it)."""
        merged = await self.cache.update(token, values) if self.cache is not None else None
        if self.sessions_in_db:
            return await self.adapter.update("session", [Where("token", token)], values)
        return merged

    async def _ending(self, token: str) -> list[Row]:
        """The session about to end, when someone listens."""
        if not self.on_sessions_ended:
            return []
        found = await self.find_session(token)
        return [found[0]] if found is not None else []

    async def _ended(self, rows: Sequence[Row]) -> None:
        if rows:
            for listener in self.on_sessions_ended:
                await listener(rows)

    async def delete_session(self, token: str) -> int:
        """Delete one session by token."""
        ending = await self._ending(token)
        removed = await self._delete_session(token)
        await self._ended(ending)
        return removed

    async def _delete_session(self, token: str) -> int:
        removed = 0
        if self.cache is not None:
            removed = int(await self.cache.delete(token) is not None)
        if self.sessions_in_db:
            removed = max(removed, await self._end_sessions([Where("token", token)]))
        return removed

    async def delete_user_session(self, user_id: str, token: str) -> int:
        """Delete a session only if it belongs to ``user_id``."""
        if self.cache is not None and not self.sessions_in_db:
            found = await self.cache.get(token)
            if not found or found[0].get("userId") != user_id:
                return 0
            return await self.delete_session(token)
        ending = [row for row in await self._ending(token) if row.get("userId") == user_id]
        removed = await self._end_sessions([Where("token", token), Where("userId", user_id)])
        if removed and self.cache is not None:
            await self.cache.delete(token)
        if removed:
            await self._ended(ending)
        return removed

    async def delete_sessions(
        self, user_id: str, *, except_tokens: Sequence[str] = (), adapter: Adapter | None = None
    ) -> int:
        """Delete all of a user's sessions, optionally keeping some."""
        ending: list[Row] = []
        if self.on_sessions_ended:
            kept = frozenset(except_tokens)
            listed = await self.list_sessions(user_id, adapter=adapter)
            ending = [row for row in listed if row["token"] not in kept]
        removed = await self._delete_sessions(user_id, except_tokens=except_tokens, adapter=adapter)
        await self._ended(ending)
        return removed

    async def _delete_sessions(
        self, user_id: str, *, except_tokens: Sequence[str] = (), adapter: Adapter | None = None
    ) -> int:
        removed = 0
        if self.cache is not None:
            removed = await self.cache.revoke_all(user_id, keep=frozenset(except_tokens))
        if self.sessions_in_db:
            where = [Where("userId", user_id)]
            if except_tokens:
                where.append(Where("token", list(except_tokens), "not_in"))
            removed = max(removed, await self._end_sessions(where, adapter=adapter))
        return removed

    async def _end_sessions(self, where: list[Where], *, adapter: Adapter | None = None) -> int:
        """Delete session rows, or expire them when ``preserve_session_in_database`` is set."""
        target = adapter or self.adapter
        if self.preserve_sessions:
            return await target.update_many("session", [*where, Where("expiresAt", now(), "gt")], {"expiresAt": now()})
        return await target.delete("session", where)

    # -- audit events ----------------------------------------------------------------------------

    async def list_auth_events(
        self,
        *,
        type: str | None = None,
        subject_id: str | None = None,
        actor_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int,
        offset: int = 0,
    ) -> tuple[list[Row], int]:
        """A page of stored auth events, newest first, and how many match in all."""
        where = [
            Where(field, value)
            for field, value in (("type", type), ("subjectId", subject_id), ("actorId", actor_id))
            if value
        ]
        if since is not None:
            where.append(Where("createdAt", since, "gte"))
        if until is not None:
            where.append(Where("createdAt", until, "lt"))
        rows = await self.adapter.find_many(
            AUTH_EVENT_MODEL, where, limit=limit, offset=offset, sort_by=SortBy("createdAt", "desc")
        )
        return rows, await self.adapter.count(AUTH_EVENT_MODEL, where)

    # -- verification --------------------------------------------------------------------------

    async def create_verification(self, identifier: str, value: str, *, expires_in: int) -> Row:
        """Store a verification value (reset tokens, OAuth state...)."""
        t = now()
        row = {"identifier": identifier, "value": value, "expiresAt": t + timedelta(seconds=expires_in)}
        if not self.verification_in_db:
            assert self.cache is not None
            cached = {"createdAt": t, "updatedAt": t, **row}  # Better Auth's cached shape: no id
            await self.cache.put_verification(cached)
            return cached
        stored = await self.adapter.create("verification", {"id": generate_id(), **row, "createdAt": t, "updatedAt": t})
        if self.cache is not None:
            await self.cache.put_verification(stored)
        return stored

    async def find_verification(self, identifier: str) -> Row | None:
        """The newest row for ``identifier``, expired or not (Better Auth ``findVerificationValue``).

        Expired rows of any identifier are purged on the way, at most once a minute.
        """
        if self.cache is not None:
            cached = await self.cache.get_verification(identifier)
            if cached is not None or not self.verification_in_db:
                return cached
        await self._purge_expired_verifications()
        rows = await self.adapter.find_many(
            "verification", [Where("identifier", identifier)], sort_by=SortBy("createdAt", "desc"), limit=1
        )
        return rows[0] if rows else None

    async def consume_verification(self, identifier: str, *, adapter: Adapter | None = None) -> Row | None:
        """Atomically take the newest unexpired row for ``identifier`` (single use)."""
        if not self.verification_in_db:
            assert self.cache is not None
            return await self.cache.take_verification(identifier)
        taken = await (adapter or self.adapter).consume_one(
            "verification", [Where("identifier", identifier), Where("expiresAt", now(), "gt")]
        )
        if self.cache is not None:
            await self.cache.delete_verification(identifier)
        return taken

    async def _purge_expired_verifications(self) -> None:
        t = now()
        if self._last_purge is not None and (t - self._last_purge).total_seconds() < 60:
            return
        self._last_purge = t
        await self.adapter.delete("verification", [Where("expiresAt", t, "lt")])

    async def reset_password(self, identifier: str, user_id: str, password_hash: str, *, revoke_sessions: bool) -> bool:
        """Spend a reset token and set the password in one transaction; ``False`` if the token was already spent.

        Creates the credential account when the user has none (e.g. a social-only user), and revokes
        every session first when asked, as Better Auth's ``resetCredentialPassword`` does.
        """
        if not self.verification_in_db and await self.consume_verification(identifier) is None:
            return False  # single use already decided by the secondary storage's atomic take
        async with self.adapter.transaction() as tx:
            if self.verification_in_db and await self.consume_verification(identifier, adapter=tx) is None:
                return False
            if revoke_sessions:
                await self.delete_sessions(user_id, adapter=tx)
            where = [Where("userId", user_id), Where("providerId", CREDENTIAL_PROVIDER), Where("accountId", user_id)]
            account = await tx.find_one("account", where)
            if account is None:
                await self.create_credential_account(user_id, password_hash, adapter=tx)
            else:
                await tx.update(
                    "account", [Where("id", account["id"])], {"password": password_hash, "updatedAt": now()}
                )
        return True


def is_expired(row: Row, field: str = "expiresAt") -> bool:
    """Whether ``row[field]`` is in the past."""
    value: Any = row.get(field)
    return value is None or value <= now()


def is_banned(user: Row) -> bool:
    """Whether a ban is in force: ``banned`` set, with no ``banExpires`` or one still ahead.

    An expired ban no longer counts (Better Auth lifts it at the next sign-in).
    """
    if not user.get("banned"):
        return False
    return user.get("banExpires") is None or not is_expired(user, "banExpires")
