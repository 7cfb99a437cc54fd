"""Background delivery of auth emails."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable

from .message import EmailMessage, EmailSender
from .templates import EmailTemplates

logger = logging.getLogger("fastapi_betterauth.email")

BACKGROUND_DELAY = (0.02, 0.2)
"""Background jobs start after a random delay in this range (seconds): their load then lands on some
later request at random instead of right behind the answer that caused them, where a prober timing
consecutive requests would see it."""


class Mailer:
    """Renders and delivers auth emails in the background so response time never depends on delivery.

    That removes the timing oracle "a mail was sent, so the account exists"; failures are logged
    (kind and recipient domain only: never the link or the token) and never reach the caller.
    """

    def __init__(self, sender: EmailSender | None, templates: EmailTemplates | None = None) -> None:
        self.sender = sender
        self.templates = templates or EmailTemplates()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def enabled(self) -> bool:
        """Whether mails can be sent at all."""
        return self.sender is not None

    @property
    def pending(self) -> int:
        """Deliveries not finished yet."""
        return len(self._tasks)

    def send(self, kind: str, *, to: str, url: str, token: str, name: str = "", new_email: str = "") -> None:
        """Schedule one mail; returns at once (a no-op without a sender)."""
        if self.sender is None:
            return
        message = self.templates.render(kind, to=to, url=url, token=token, name=name, new_email=new_email)
        self._track(self._deliver(self.sender, message))

    def run_in_background(self, job: Callable[[], Awaitable[None]], label: str) -> None:
        """Run ``job`` (typically: store a token, then ``send``) after the response, tracked like a mail.

        Used where the work for a known account would otherwise take longer than the answer for an
        unknown one. Failures are logged with ``label`` only.
        """
        self._track(self._run(job, label))

    def _track(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, job: Callable[[], Awaitable[None]], label: str) -> None:
        low, high = BACKGROUND_DELAY
        await asyncio.sleep(low + (high - low) * secrets.randbelow(1000) / 1000)
        try:
            await job()
        except Exception as error:  # never surfaces in a response
            logger.error("could not complete the background %s job: %s", label, type(error).__name__)

    async def _deliver(self, sender: EmailSender, message: EmailMessage) -> None:
        try:
            await sender.send(message)
        except Exception as error:  # delivery problems must never surface in a response
            domain = message.to.rpartition("@")[2] or "?"
            # The error's own text is left out: SMTP servers quote the full recipient address in it.
            logger.error(
                "could not deliver the %s email to a recipient at %s: %s", message.kind, domain, type(error).__name__
            )

    async def flush(self) -> None:
        """Wait until every scheduled mail has been handed to the sender."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        """Deliver what is pending (called at shutdown, so nothing is lost)."""
        await self.flush()
