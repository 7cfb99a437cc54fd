"""Plain-text templates of the auth emails, overridable per kind."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from string import Formatter
from typing import Any

from .message import EmailMessage

DEFAULT_SUBJECTS: dict[str, str] = {
    "verification": "Verify your email address",
    "change-email-confirmation": "Confirm your email change",
    "change-email-verification": "Verify your new email address",
    "reset-password": "Reset your password",
    "delete-account": "Confirm the deletion of your account",
}
DEFAULT_BODIES: dict[str, str] = {
    "verification": "Hello {name},\n\nPlease verify your email address for {app_name}:\n\n{url}\n\n"
    "If you did not create an account, you can ignore this email.\n",
    "change-email-confirmation": "Hello {name},\n\nYou asked to change the email address of your {app_name} "
    "account to {new_email}. Confirm it here:\n\n{url}\n\nIf you did not ask for this, you can ignore this email.\n",
    "change-email-verification": "Hello {name},\n\nPlease verify {new_email} as the new email address of your "
    "{app_name} account:\n\n{url}\n\nIf you did not ask for this, you can ignore this email.\n",
    "reset-password": "Hello {name},\n\nReset your {app_name} password here:\n\n{url}\n\n"
    "If you did not ask for this, you can ignore this email.\n",
    "delete-account": "Hello {name},\n\nConfirm the deletion of your {app_name} account here:\n\n{url}\n\n"
    "If you did not ask for this, you can ignore this email.\n",
}
GENERIC_SUBJECT = "Action required"
GENERIC_BODY = "Hello {name},\n\n{url}\n"


class _Values(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


class _SafeFormatter(Formatter):
    """Substitutes ``{field}`` only: no attribute access, indexing or format specs from templates."""

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        return kwargs.get(field_name.split(".")[0].split("[")[0], ""), field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        return str(value)


_FORMATTER = _SafeFormatter()


def _render(template: str, values: Mapping[str, str]) -> str:
    try:
        return _FORMATTER.vformat(template, (), _Values(values))
    except (ValueError, IndexError, KeyError):
        return template


@dataclass(frozen=True)
class EmailTemplates:
    """Subjects and bodies per kind; overrides merge over the defaults."""

    app_name: str = "our app"
    subjects: Mapping[str, str] = field(default_factory=dict)
    bodies: Mapping[str, str] = field(default_factory=dict)

    def render(self, kind: str, *, to: str, url: str, token: str, name: str = "", new_email: str = "") -> EmailMessage:
        """The message for ``kind``; values are substituted, never interpreted as templates."""
        values = {"app_name": self.app_name, "name": name or to, "email": to, "url": url, "new_email": new_email}
        subject = self.subjects.get(kind) or DEFAULT_SUBJECTS.get(kind, GENERIC_SUBJECT)
        body = self.bodies.get(kind) or DEFAULT_BODIES.get(kind, GENERIC_BODY)
        return EmailMessage(
            kind=kind, to=to, subject=_render(subject, values), text=_render(body, values), url=url, token=token
        )
