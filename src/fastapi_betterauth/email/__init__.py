"""Auth email delivery: what to send (templates), how (senders), and when (the background mailer)."""

from .mailer import Mailer
from .message import EmailKind, EmailMessage, EmailSender
from .senders import ConsoleEmailSender, FileOutboxSender, read_outbox
from .smtp import SMTPEmailSender, SMTPSettings
from .templates import EmailTemplates

__all__ = [
    "ConsoleEmailSender",
    "EmailKind",
    "EmailMessage",
    "EmailSender",
    "EmailTemplates",
    "FileOutboxSender",
    "Mailer",
    "SMTPEmailSender",
    "SMTPSettings",
    "read_outbox",
]
