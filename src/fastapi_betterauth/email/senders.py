"""Development and test senders: the console, and a JSON-lines outbox file."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from .message import EmailMessage

logger = logging.getLogger("fastapi_betterauth.email")


class ConsoleEmailSender:
    """Prints each mail (kind, recipient, subject, link) to a stream: for local development only."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self._warned = False

    async def send(self, message: EmailMessage) -> None:
        """Write a readable block; warns once when used in production."""
        if os.environ.get("BETTER_AUTH_ENV") == "production" and not self._warned:
            self._warned = True
            logger.warning("ConsoleEmailSender is in use in production: mails are printed, not sent")
        stream = self.stream or sys.stderr
        stream.write(
            f"\n--- email ({message.kind}) ---\nTo: {message.to}\nSubject: {message.subject}\n\n{message.text}\n---\n"
        )
        stream.flush()


class FileOutboxSender:
    """Appends one JSON object per mail to a file (``kind``, ``to``, ``url``, ``token``, ``subject``, ``sentAt``)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    async def send(self, message: EmailMessage) -> None:
        """Append the line without blocking the event loop; concurrent sends never interleave."""
        line = json.dumps(
            {
                "kind": message.kind,
                "to": message.to,
                "url": message.url,
                "token": message.token,
                "subject": message.subject,
                "sentAt": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            }
        )
        await asyncio.to_thread(self._append, line + "\n")

    def _append(self, line: str) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as file:
                file.write(line)
                file.flush()

    def messages(self) -> list[dict[str, Any]]:
        """Every mail written so far."""
        return read_outbox(self.path)


def read_outbox(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The mails in an outbox file (``[]`` when it does not exist yet)."""
    target = Path(path)
    if not target.exists():
        return []
    return [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines() if line.strip()]
