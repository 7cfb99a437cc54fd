"""What an auth email is, and what can deliver one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

EmailKind = Literal[
    "verification", "change-email-confirmation", "change-email-verification", "reset-password", "delete-account"
]


@dataclass(frozen=True, slots=True)
class EmailMessage:
    """One rendered mail: the link (``url``) and its ``token`` travel alongside the text."""

    kind: str
    to: str
    subject: str
    text: str
    url: str
    token: str
    html: str | None = None


@runtime_checkable
class EmailSender(Protocol):
    """Anything that can deliver an :class:`EmailMessage`."""

    async def send(self, message: EmailMessage) -> None:
        """Deliver ``message``; raise on failure (the mailer logs it)."""
        ...
