"""Sessions and verification values in secondary storage, laid out exactly as Better Auth 1.7.24 lays them.

Mirrors the secondary-storage half of ``better-auth/dist/db/internal-adapter.mjs`` so that a
TypeScript Better Auth server and this library, sharing one Redis, read each other's entries:

* ``<token>``: ``{"session": {...}, "user": {...}}``, dates as ``toISOString()``, TTL = whole seconds
  left until the session expires;
* ``active-sessions-<userId>``: ``[{"token", "expiresAt": ms}]`` sorted by expiry, TTL of the last one,
  deleted rather than stored empty;
* ``revoked-sessions-before-<userId>``: epoch ms; a session created strictly earlier is revoked;
* ``verification:<identifier>``: the verification row without ``id``.

Two things are stricter than Better Auth (issue better-auth#11073): a refresh writes only if the entry
still exists (``replace``), so it cannot resurrect a session revoked meanwhile, and the per-user list is
changed atomically where the storage can (``transform``), so concurrent sign-ins never drop a session
from the list that "revoke other sessions" works from.
"""

from __future__ import annotations

import json
import math
import re
import time
from datetime import datetime
from typing import Any, Literal

from .._dates import parse_iso
from ..protocol.wire import dumps
from ..storage.secondary import SecondaryStorage
from .adapter import Row

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z")


def _ms(value: Any) -> int:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, str):
        return int(parse_iso(value).timestamp() * 1000)
    return int(value)


def _now_ms() -> int:
    return int(time.time() * 1000)


def ttl_seconds(expires_at: Any, now_ms: int | None = None) -> int:
    """Better Auth's ``getTTLSeconds``: whole seconds left, rounded down, never negative."""
    return max(math.floor((_ms(expires_at) - (_now_ms() if now_ms is None else now_ms)) / 1000), 0)


def _revive(value: Any) -> Any:
    """Better Auth's ``safeJSONParse`` reviver: ISO-8601 ``Z`` strings become dates."""
    if isinstance(value, str) and _ISO.fullmatch(value):
        return parse_iso(value)
    if isinstance(value, dict):
        return {k: _revive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_revive(v) for v in value]
    return value


def _loads(raw: str | None) -> Any:
    if not raw:
        return None
    try:
        return _revive(json.loads(raw))
    except (ValueError, RecursionError):
        return None


def _entry(raw: str | None) -> tuple[Row, Row] | None:
    data = _loads(raw)
    if not isinstance(data, dict):
        return None
    session, user = data.get("session"), data.get("user")
    if not isinstance(session, dict) or not isinstance(user, dict):
        return None
    if not isinstance(session.get("expiresAt"), datetime) or not isinstance(session.get("createdAt"), datetime):
        return None
    return session, user


def _refs(raw: str | None) -> list[dict[str, Any]]:
    try:
        data = json.loads(raw) if raw else []
    except ValueError:
        return []
    if not isinstance(data, list):
        return []
    return [r for r in data if isinstance(r, dict) and isinstance(r.get("token"), str) and "expiresAt" in r]


class SessionCache:
    """The session and verification entries of one secondary storage."""

    def __init__(self, storage: SecondaryStorage, *, revoked_ttl: int) -> None:
        self.storage = storage
        self.revoked_ttl = revoked_ttl
        """TTL of the revocation watermark: ``max(expiresIn, 1 day, impersonation duration)``."""

    # -- the per-user list ---------------------------------------------------------------------

    async def _change_refs(self, user_id: str, drop: set[str], add: dict[str, Any] | None = None) -> None:
        """Drop tokens (and expired entries) from the user's list, optionally add one, atomically."""

        def change(raw: str | None) -> tuple[str | None, int | None]:
            now = _now_ms()
            refs = [r for r in _refs(raw) if _ms(r["expiresAt"]) > now and r["token"] not in drop]
            if add is not None:
                refs = [r for r in refs if r["token"] != add["token"]] + [add]
            refs.sort(key=lambda r: _ms(r["expiresAt"]))
            ttl = ttl_seconds(refs[-1]["expiresAt"], now) if refs else 0
            return (json.dumps(refs, separators=(",", ":")), ttl) if ttl > 0 else (None, None)

        await self.storage.transform(f"active-sessions-{user_id}", change)

    async def _tokens(self, user_id: str) -> list[str]:
        now = _now_ms()
        seen: dict[str, None] = {}
        for ref in _refs(await self.storage.get(f"active-sessions-{user_id}")):
            if _ms(ref["expiresAt"]) > now:
                seen.setdefault(ref["token"])
        return list(seen)

    async def _watermark(self, user_id: str) -> int | None:
        raw = await self.storage.get(f"revoked-sessions-before-{user_id}")
        try:
            return int(float(raw)) if raw else None
        except ValueError:
            return None

    # -- sessions --------------------------------------------------------------------------------

    async def put(self, session: Row, user: Row) -> None:
        """Mirror a new session: list entry first, then the entry itself (Better Auth's order)."""
        ttl = ttl_seconds(session["expiresAt"])
        await self._change_refs(
            session["userId"], set(), {"token": session["token"], "expiresAt": _ms(session["expiresAt"])}
        )
        if ttl > 0:
            await self.storage.set(session["token"], dumps({"session": session, "user": user}).decode(), ttl)

    async def get(self, token: str) -> tuple[Row, Row] | Literal[False] | None:
        """``(session, user)``; ``None`` when unreadable or revoked; ``False`` when the key is absent."""
        raw = await self.storage.get(token)
        if raw is None:
            return False
        found = _entry(raw)
        if found is None:
            return None
        watermark = await self._watermark(found[0]["userId"])
        if watermark is not None and _ms(found[0]["createdAt"]) < watermark:
            return None
        return found

    async def update(self, token: str, values: Row) -> Row | None:
        """Merge ``values`` into the cached session; ``None`` when it is gone (nothing is written then)."""
        found = _entry(await self.storage.get(token))
        if found is None:
            return None
        session, user = found
        merged = {**session, **values}
        ttl = ttl_seconds(merged["expiresAt"])
        if ttl <= 0:
            return merged
        if not await self.storage.replace(token, dumps({"session": merged, "user": user}).decode(), ttl):
            return None  # revoked while we were refreshing it: stay revoked
        await self._change_refs(session["userId"], {token}, {"token": token, "expiresAt": _ms(merged["expiresAt"])})
        return merged

    async def delete(self, token: str) -> Row | None:
        """Remove one session; the removed session, if it was there."""
        found = _entry(await self.storage.get(token))
        if found is not None:
            await self._change_refs(found[0]["userId"], {token})
        await self.storage.delete(token)
        return None if found is None else found[0]

    async def list(self, user_id: str) -> list[Row]:
        """The user's cached sessions (expired ones included), in list order, revoked ones left out."""
        watermark = await self._watermark(user_id)
        sessions = []
        for token in await self._tokens(user_id):
            found = _entry(await self.storage.get(token))
            if found is None or found[0].get("userId") != user_id:
                continue
            if watermark is not None and _ms(found[0]["createdAt"]) < watermark:
                continue
            sessions.append(found[0])
        return sessions

    async def revoke_all(self, user_id: str, *, keep: frozenset[str] = frozenset()) -> int:
        """Revoke every session of the user (but ``keep``); how many listed sessions were deleted.

        Without ``keep`` a watermark revokes all sessions created until now, even ones missing from
        the list; with ``keep`` (revoke other sessions) each listed token is deleted.
        """
        tokens = [t for t in await self._tokens(user_id) if t not in keep]
        if not keep:
            revoked_at = _now_ms()
            previous = await self._watermark(user_id) or 0
            await self.storage.set(
                f"revoked-sessions-before-{user_id}", str(max(revoked_at, previous)), self.revoked_ttl
            )
        for token in tokens:
            await self.storage.delete(token)
        await self._change_refs(user_id, set(tokens))
        return len(tokens)

    async def refresh_user(self, user: Row) -> None:
        """Rewrite the cached user in each of its live sessions (after any user update)."""
        for token in await self._tokens(user["id"]):
            found = _entry(await self.storage.get(token))
            if found is None:
                continue
            ttl = ttl_seconds(found[0]["expiresAt"])
            if ttl > 0:
                await self.storage.replace(token, dumps({"session": found[0], "user": user}).decode(), ttl)

    # -- verification values -----------------------------------------------------------------------

    async def put_verification(self, row: Row) -> None:
        """Store a verification value under ``verification:<identifier>``."""
        ttl = ttl_seconds(row["expiresAt"])
        if ttl > 0:
            await self.storage.set(f"verification:{row['identifier']}", dumps(row).decode(), ttl)

    async def get_verification(self, identifier: str) -> Row | None:
        """The stored value (expired or not: callers check)."""
        data = _loads(await self.storage.get(f"verification:{identifier}"))
        return data if isinstance(data, dict) else None

    async def take_verification(self, identifier: str) -> Row | None:
        """Read and remove atomically (single use); ``None`` when absent or expired."""
        data = _loads(await self.storage.get_and_delete(f"verification:{identifier}"))
        if not isinstance(data, dict) or not isinstance(data.get("expiresAt"), datetime):
            return None
        return data if _ms(data["expiresAt"]) > _now_ms() else None

    async def delete_verification(self, identifier: str) -> None:
        """Remove a verification value."""
        await self.storage.delete(f"verification:{identifier}")
