"""SMTP delivery through the standard library, run in a worker thread so it never blocks the event loop."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, make_msgid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from .message import EmailMessage


class SMTPSettings(BaseModel):
    """SMTP server and credentials (env ``BETTER_AUTH_SMTP__HOST``, ``__PORT``, ``__USERNAME``, ``__PASSWORD``...)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "localhost"
    port: int = Field(587, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    security: Literal["starttls", "ssl", "none"] = "starttls"
    """``starttls`` (port 587), ``ssl`` (implicit TLS, port 465) or ``none`` (local relays only)."""
    from_address: str = "no-reply@localhost"
    timeout: float = Field(10.0, gt=0)
    validate_certs: bool = True


class SMTPEmailSender:
    """Sends through an SMTP server; with ``starttls`` it refuses to continue in clear text."""

    def __init__(
        self, settings: SMTPSettings | None = None, *, ssl_context: ssl.SSLContext | None = None, **overrides: Any
    ) -> None:
        self.settings = settings if settings is not None else SMTPSettings(**overrides)
        self.ssl_context = ssl_context

    def _context(self) -> ssl.SSLContext:
        if self.ssl_context is not None:
            return self.ssl_context
        context = ssl.create_default_context()
        if not self.settings.validate_certs:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    async def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` (errors propagate to the mailer, which logs them)."""
        await asyncio.to_thread(self._send_sync, self._mime(message))

    def _mime(self, message: EmailMessage) -> MimeMessage:
        mime = MimeMessage()
        mime["From"] = self.settings.from_address
        mime["To"] = message.to
        mime["Subject"] = message.subject
        mime["Date"] = formatdate(localtime=False, usegmt=True)
        mime["Message-ID"] = make_msgid()
        mime.set_content(message.text)
        if message.html:
            mime.add_alternative(message.html, subtype="html")
        return mime

    def _send_sync(self, mime: MimeMessage) -> None:
        s = self.settings
        client: smtplib.SMTP
        if s.security == "ssl":
            client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._context())
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        with client:
            if s.security == "starttls":
                client.ehlo()
                if not client.has_extn("starttls"):
                    raise smtplib.SMTPNotSupportedError("the SMTP server does not offer STARTTLS")
                client.starttls(context=self._context())
                client.ehlo()
            if s.username:
                client.login(s.username, s.password.get_secret_value() if s.password else "")
            client.send_message(mime)
