"""Account lockout: too many wrong passwords for one account lock its sign-in for a while.

Two counters per account, both keyed on an HMAC of the normalised e-mail (no address is stored, and
unknown e-mails count exactly like known ones, so a lock reveals nothing about existence):

* per account *and client*: ``max_failures`` wrong passwords within ``window`` lock that client out
  of that account for ``duration``. Someone guessing from one place stops there, and cannot lock the
  owner out from elsewhere;
* per account from every client: ``account_max_failures`` within ``window`` lock the account for
  everyone for ``duration``: the brake on a distributed guess. It is bounded, attempts while locked
  are not counted (so they do not extend it), and a password reset or an admin lifts it.

Counts live in secondary storage (Redis when configured, so every worker sees them; otherwise
in-process memory). Each lock and each unlock is an audit event; a lock that simply ran out is
recorded when the account is next tried.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..errors import AuthError, ErrorCode
from ..settings import LockoutSettings
from ..storage.secondary import SecondaryStorage

NOTICE_RETENTION = 7 * 86400
"""How long an expired lock is remembered so that its end can be recorded as an unlock event."""

LockListener = Callable[[str, str, "str | None", str], Awaitable[None]]
"""``(event, email, client, reason)``: ``event`` is ``"locked"`` or ``"unlocked"`` (a lock that ran out)."""


@dataclass(frozen=True, slots=True)
class Lock:
    """One active lock: the whole account (``client is None``) or one client's access to it."""

    client: str | None
    until: float
    """Epoch seconds."""

    @property
    def retry_after(self) -> int:
        """Whole seconds until it lifts (at least 1)."""
        return max(math.ceil(self.until - time.time()), 1)


def _wait_text(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


def locked_error(lock: Lock) -> AuthError:
    """429 with a code, a message that says when to retry, ``Retry-After`` and Better Auth's ``X-Retry-After``."""
    wait = lock.retry_after
    return AuthError(
        429,
        ErrorCode.ACCOUNT_TEMPORARILY_LOCKED,
        f"Too many failed sign-in attempts. Try again in {_wait_text(wait)}.",
        headers={"Retry-After": str(wait), "X-Retry-After": str(wait)},
        extra={"retryAfter": wait},
    )


class Lockout:
    """Counts failed password checks and refuses sign-in for a locked account."""

    def __init__(
        self, settings: LockoutSettings, storage: SecondaryStorage, secret: str, on_change: LockListener
    ) -> None:
        self.settings = settings
        self.storage = storage
        self._secret = secret.encode()
        self._on_change = on_change

    def _prefix(self, email: str) -> str:
        digest = hmac.new(self._secret, b"lockout|" + email.encode(), hashlib.sha256).hexdigest()[:32]
        return f"lockout:{digest}:"

    def _scopes(self, email: str, client: str | None) -> list[tuple[str, str | None, int]]:
        """``(key prefix, client, threshold)`` for the account-wide and the per-client counter."""
        prefix = self._prefix(email)
        scopes: list[tuple[str, str | None, int]] = [(prefix + "account:", None, self.settings.account_max_failures)]
        if client is not None:
            scopes.append((f"{prefix}client={client}:", client, self.settings.max_failures))
        return scopes

    async def check(self, email: str, client: str | None) -> AuthError | None:
        """The 429 answer when this account is locked for this client; records locks that ran out."""
        if not self.settings.enabled:
            return None
        now = time.time()
        for scope, who, _ in self._scopes(email, client):
            until = await self.storage.get(scope + "locked")
            if until is None:
                continue
            if float(until) > now:
                return locked_error(Lock(who, float(until)))
            if await self.storage.get_and_delete(scope + "locked") is not None:
                await self._on_change("unlocked", email, who, "expired")
        return None

    async def record_failure(self, email: str, client: str | None) -> None:
        """Count a wrong password (or an unknown e-mail); lock a scope that reaches its threshold."""
        if not self.settings.enabled:
            return
        for scope, who, threshold in self._scopes(email, client):
            failures = await self.storage.increment(scope + "failures", self.settings.window)
            if failures < threshold:
                continue
            until = time.time() + self.settings.duration
            if await self.storage.add(scope + "locked", repr(until), self.settings.duration + NOTICE_RETENTION):
                await self.storage.delete(scope + "failures")
                await self._on_change("locked", email, who, f"{failures}_failures")

    async def record_success(self, email: str, client: str | None) -> None:
        """A right password clears this client's count (the account-wide count keeps running)."""
        if self.settings.enabled and client is not None:
            await self.storage.delete(f"{self._prefix(email)}client={client}:failures")

    async def locks(self, email: str) -> list[Lock]:
        """The account's active locks (admin view)."""
        now, found = time.time(), []
        for key in await self.storage.keys(self._prefix(email)):
            if not key.endswith(":locked"):
                continue
            until = await self.storage.get(key)
            if until is not None and float(until) > now:
                scope = key[len(self._prefix(email)) : -len(":locked")]
                found.append(Lock(None if scope == "account" else scope.removeprefix("client="), float(until)))
        return sorted(found, key=lambda lock: (lock.client is not None, lock.client or ""))

    async def clear(self, email: str) -> int:
        """Lift every lock and count of the account; how many active locks were lifted.

        The caller records the unlock event: it knows who lifted it and why (password reset, admin).
        """
        now, lifted = time.time(), 0
        for key in await self.storage.keys(self._prefix(email)):
            value = await self.storage.get_and_delete(key)
            if key.endswith(":locked") and value is not None and float(value) > now:
                lifted += 1
        return lifted
