"""Templates, the console and file senders, and the background mailer."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastapi_betterauth import ConsoleEmailSender, EmailMessage, EmailTemplates, FileOutboxSender, Mailer, read_outbox

KINDS = ["verification", "change-email-confirmation", "change-email-verification", "reset-password", "delete-account"]
URL = "http://localhost:8000/api/auth/verify-email?token=abc.def.ghi&callbackURL=%2F"


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_a_default_with_the_link(kind: str) -> None:
    message = EmailTemplates(app_name="Todo").render(kind, to="a@example.com", url=URL, token="tok", name="Alice")
    assert message.kind == kind and message.to == "a@example.com" and message.token == "tok"
    assert URL in message.text and "Alice" in message.text
    assert message.subject and "{" not in message.subject


def test_overrides_merge_over_the_defaults() -> None:
    templates = EmailTemplates(
        app_name="Todo",
        subjects={"reset-password": "{app_name}: new password"},
        bodies={"reset-password": "Hi {name}, go to {url}"},
    )
    reset = templates.render("reset-password", to="a@example.com", url=URL, token="t", name="Al")
    assert (reset.subject, reset.text) == ("Todo: new password", f"Hi Al, go to {URL}")
    verification = templates.render("verification", to="a@example.com", url=URL, token="t")
    assert verification.subject == "Verify your email address"
    custom = templates.render("magic-link", to="a@example.com", url=URL, token="t")
    assert custom.subject == "Action required" and URL in custom.text


def test_user_values_are_never_templates() -> None:
    message = EmailTemplates().render(
        "verification", to="a@example.com", url=URL, token="t", name="{url} {0} {app_name.__class__}"
    )
    assert "{url} {0} {app_name.__class__}" in message.text


def test_hostile_templates_do_not_leak_attributes() -> None:
    templates = EmailTemplates(bodies={"verification": "{url.__class__.__mro__} {name!r:>99999} {0}"})
    message = templates.render("verification", to="a@example.com", url=URL, token="t", name="N")
    assert "__mro__" not in message.text and "class" not in message.text


@given(st.text(), st.text(), st.text(), st.text())
def test_render_never_raises(name: str, to: str, url: str, template: str) -> None:
    templates = EmailTemplates(subjects={"verification": template}, bodies={"verification": template})
    message = templates.render("verification", to=to, url=url, token="t", name=name)
    assert isinstance(message.text, str) and isinstance(message.subject, str)


@pytest.mark.anyio
async def test_console_sender_prints_the_link() -> None:
    stream = io.StringIO()
    message = EmailTemplates().render("reset-password", to="a@example.com", url=URL, token="t")
    await ConsoleEmailSender(stream).send(message)
    output = stream.getvalue()
    assert "reset-password" in output and "a@example.com" in output and URL in output


@pytest.mark.anyio
async def test_outbox_keeps_concurrent_mails_whole(tmp_path: Path) -> None:
    sender = FileOutboxSender(tmp_path / "nested" / "outbox.jsonl")
    messages = [
        EmailMessage("verification", f"user{i}@example.com", "s", "x" * 5000, f"{URL}&n={i}", f"tok{i}")
        for i in range(200)
    ]
    await asyncio.gather(*(sender.send(m) for m in messages))
    lines = (tmp_path / "nested" / "outbox.jsonl").read_text().splitlines()
    assert len(lines) == 200
    parsed = [json.loads(line) for line in lines]
    assert {p["token"] for p in parsed} == {f"tok{i}" for i in range(200)}
    assert set(parsed[0]) == {"kind", "to", "url", "token", "subject", "sentAt"}
    assert read_outbox(sender.path) == sender.messages() == parsed
    assert read_outbox(tmp_path / "missing.jsonl") == []


@pytest.mark.anyio
async def test_mailer_logs_failures_without_secrets(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        async def send(self, message: EmailMessage) -> None:
            raise ConnectionRefusedError("smtp down")

    mailer = Mailer(Broken())
    with caplog.at_level(logging.ERROR, logger="fastapi_betterauth.email"):
        mailer.send("reset-password", to="alice@example.com", url=f"{URL}&secret=1", token="TOKEN-XYZ")
        await mailer.flush()
    assert len(caplog.records) == 1
    logged = caplog.records[0].getMessage()
    assert "reset-password" in logged and "example.com" in logged and "ConnectionRefusedError" in logged
    assert "TOKEN-XYZ" not in logged and "alice@" not in logged and "secret=1" not in logged


@pytest.mark.anyio
async def test_mailer_returns_at_once_and_flush_waits(tmp_path: Path) -> None:
    gate = asyncio.Event()
    outbox = FileOutboxSender(tmp_path / "o.jsonl")

    class Slow:
        async def send(self, message: EmailMessage) -> None:
            await gate.wait()
            await outbox.send(message)

    mailer = Mailer(Slow())
    for i in range(5):
        mailer.send("verification", to=f"u{i}@example.com", url=URL, token=str(i))
    assert mailer.pending == 5 and outbox.messages() == []
    flushing = asyncio.create_task(mailer.flush())
    await asyncio.sleep(0.05)
    assert not flushing.done()
    gate.set()
    await flushing
    assert mailer.pending == 0 and len(outbox.messages()) == 5


@pytest.mark.anyio
async def test_disabled_mailer_is_a_no_op() -> None:
    mailer = Mailer(None)
    assert not mailer.enabled
    mailer.send("verification", to="a@example.com", url=URL, token="t")
    assert mailer.pending == 0
    await mailer.aclose()
