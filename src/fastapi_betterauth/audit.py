"""The audit trail: named auth events to structured logs, an optional table, and an application callback.

Events carry when, what, who acted, on whom, from which IP and user agent, and a short reason; never a
password, token, cookie or link. Recording is fire-and-forget: the log line is written at once and the
table insert and callback run in the background, so the request path does not wait for them.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from ._dates import now
from .crypto.random import generate_id
from .db.adapter import Adapter
from .db.schema import FieldSpec, TableSpec
from .db.store import AUTH_EVENT_MODEL

logger = logging.getLogger("fastapi_betterauth.audit")

EventType = Literal[
    "sign_up",
    "sign_in",
    "sign_in_failed",
    "sign_out",
    "session_revoked",
    "password_changed",
    "password_reset",
    "email_verified",
    "email_changed",
    "role_changed",
    "user_banned",
    "user_unbanned",
    "impersonation_started",
    "impersonation_stopped",
    "user_deleted",
    "account_locked",
    "account_unlocked",
    "account_linked",
    "account_unlinked",
]
EVENT_TABLE = AUTH_EVENT_MODEL
AUDIT_TABLE = TableSpec(
    EVENT_TABLE,
    (
        FieldSpec("id", "string"),
        FieldSpec("type", "string", index=True),
        FieldSpec("createdAt", "date", index=True),
        FieldSpec("actorId", "string", required=False),
        FieldSpec("subjectId", "string", required=False, index=True),
        FieldSpec("ipAddress", "string", required=False),
        FieldSpec("userAgent", "string", required=False),
        FieldSpec("reason", "string", required=False),
    ),
)
"""The optional ``auth_event`` table (this library's own: Better Auth has none)."""


class AuthEvent(BaseModel):
    """One recorded event (also the row shape of the ``auth_event`` table)."""

    id: str = Field(default_factory=generate_id)
    type: str
    at: datetime = Field(default_factory=now)
    actor_id: str | None = None
    """Who did it (the admin for admin actions; the user themself otherwise; ``None`` when unknown)."""
    subject_id: str | None = None
    """Whom it concerns (``None`` for a failed sign-in with an unknown email)."""
    ip_address: str = ""
    user_agent: str = ""
    reason: str | None = None
    """Short machine-readable detail, e.g. ``invalid_credentials`` or ``email_not_verified``."""


EventCallback = Callable[[AuthEvent], Awaitable[Any] | Any]


class AuditTrail:
    """Where events go. ``BetterAuth(..., audit=AuditTrail(store=True, callback=f))``; logging is always on."""

    def __init__(self, *, store: bool = False, callback: EventCallback | None = None) -> None:
        self.store = store
        self.callback = callback
        self.adapter: Adapter | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def record(
        self,
        type: str,
        *,
        actor_id: str | None = None,
        subject_id: str | None = None,
        ip_address: str = "",
        user_agent: str = "",
        reason: str | None = None,
    ) -> AuthEvent:
        """Log the event now; store it and call the callback in the background."""
        event = AuthEvent(
            type=type,
            actor_id=actor_id,
            subject_id=subject_id,
            ip_address=ip_address,
            user_agent=user_agent,
            reason=reason,
        )
        logger.info("auth event %s", type, extra={"auth_event": event.model_dump(mode="json")})
        if (self.store and self.adapter is not None) or self.callback is not None:
            task = asyncio.get_running_loop().create_task(self._deliver(event))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return event

    async def _deliver(self, event: AuthEvent) -> None:
        try:
            if self.store and self.adapter is not None:
                row = event.model_dump()
                await self.adapter.create(
                    EVENT_TABLE,
                    {
                        "id": row["id"],
                        "type": row["type"],
                        "createdAt": row["at"],
                        "actorId": row["actor_id"],
                        "subjectId": row["subject_id"],
                        "ipAddress": row["ip_address"],
                        "userAgent": row["user_agent"],
                        "reason": row["reason"],
                    },
                )
            if self.callback is not None:
                result = self.callback(event)
                if inspect.isawaitable(result):
                    await result
        except Exception as error:  # an audit sink must never break the request that caused the event
            logger.error("could not deliver auth event %s: %s", event.type, type(error).__name__)

    async def flush(self) -> None:
        """Wait for pending deliveries (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
