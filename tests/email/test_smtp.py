"""SMTPEmailSender against a real SMTP server (aiosmtpd) on loopback: plain, STARTTLS, implicit TLS, AUTH."""

from __future__ import annotations

import asyncio
import datetime
import email
import email.policy
import smtplib
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fastapi_betterauth import EmailMessage, SMTPEmailSender, SMTPSettings

pytestmark = pytest.mark.anyio
MESSAGE = EmailMessage(
    kind="reset-password",
    to="alice@example.com",
    subject="Reset your password",
    text="Hello Alice,\n\nhttp://localhost:8000/api/auth/reset-password/TOKEN123?callbackURL=\n",
    url="http://localhost:8000/api/auth/reset-password/TOKEN123?callbackURL=",
    token="TOKEN123",
    html="<p>Hello <a href='http://localhost:8000/x'>reset</a></p>",
)


class Collector:
    """aiosmtpd handler keeping every envelope it accepts."""

    def __init__(self, delay: float = 0.0) -> None:
        self.envelopes: list[Any] = []
        self.delay = delay

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.envelopes.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (_text(auth_data.login), _text(auth_data.password)) == (
        "mailer",
        "s3cret",
    )
    return AuthResult(success=ok)


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    """``smtp_server(**controller_kwargs)`` -> (port, collector); stopped at teardown."""
    controllers: list[Controller] = []

    def start(delay: float = 0.0, **kwargs: Any) -> tuple[int, Collector]:
        collector = Collector(delay)
        port = free_port()
        controller = Controller(collector, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        controllers.append(controller)
        return port, collector

    yield start
    for controller in controllers:
        controller.stop()


def received(collector: Collector) -> Any:
    assert len(collector.envelopes) == 1
    envelope = collector.envelopes[0]
    return envelope, email.message_from_bytes(envelope.original_content, policy=email.policy.default)


async def test_plain_delivery(smtp_server: Any) -> None:
    port, collector = smtp_server()
    sender = SMTPEmailSender(host="127.0.0.1", port=port, security="none", from_address="Todo <no-reply@todo.test>")
    await sender.send(MESSAGE)
    envelope, parsed = received(collector)
    assert envelope.mail_from == "no-reply@todo.test"
    assert envelope.rcpt_tos == ["alice@example.com"]
    assert parsed["Subject"] == "Reset your password"
    assert parsed["From"] == "Todo <no-reply@todo.test>"
    assert parsed["Message-ID"] and parsed["Date"]
    text = parsed.get_body(preferencelist=("plain",))
    assert MESSAGE.url in text.get_content()
    html = parsed.get_body(preferencelist=("html",))
    assert html is not None and "<a href=" in html.get_content()


async def test_starttls_with_a_trusted_certificate(smtp_server: Any, certificate: tuple[Path, Path]) -> None:
    port, collector = smtp_server(tls_context=server_context(certificate), require_starttls=True)
    client_context = ssl.create_default_context(cafile=str(certificate[0]))
    client_context.check_hostname = False  # the certificate names localhost, we connect to 127.0.0.1
    sender = SMTPEmailSender(SMTPSettings(host="127.0.0.1", port=port), ssl_context=client_context)
    await sender.send(MESSAGE)
    envelope, _ = received(collector)
    assert envelope.rcpt_tos == ["alice@example.com"]


async def test_starttls_refuses_an_untrusted_certificate(smtp_server: Any, certificate: tuple[Path, Path]) -> None:
    port, collector = smtp_server(tls_context=server_context(certificate), require_starttls=True)
    with pytest.raises(ssl.SSLError):
        await SMTPEmailSender(host="127.0.0.1", port=port).send(MESSAGE)
    assert collector.envelopes == []
    relaxed = SMTPEmailSender(host="127.0.0.1", port=port, validate_certs=False)
    await relaxed.send(MESSAGE)
    assert len(collector.envelopes) == 1


async def test_starttls_never_falls_back_to_clear_text(smtp_server: Any) -> None:
    port, collector = smtp_server()  # no TLS offered
    with pytest.raises(smtplib.SMTPNotSupportedError):
        await SMTPEmailSender(host="127.0.0.1", port=port, security="starttls").send(MESSAGE)
    assert collector.envelopes == []


async def test_implicit_tls(smtp_server: Any, certificate: tuple[Path, Path]) -> None:
    port, collector = smtp_server(ssl_context=server_context(certificate))
    sender = SMTPEmailSender(host="127.0.0.1", port=port, security="ssl", validate_certs=False)
    await sender.send(MESSAGE)
    assert received(collector)[0].rcpt_tos == ["alice@example.com"]


async def test_login_with_credentials(smtp_server: Any, certificate: tuple[Path, Path]) -> None:
    port, collector = smtp_server(
        tls_context=server_context(certificate), require_starttls=True, authenticator=authenticator, auth_required=True
    )
    common = {"host": "127.0.0.1", "port": port, "validate_certs": False}
    with pytest.raises(smtplib.SMTPSenderRefused):  # AUTH required: without credentials nothing is accepted
        await SMTPEmailSender(**common).send(MESSAGE)
    assert collector.envelopes == []
    sender = SMTPEmailSender(**common, username="mailer", password="s3cret")
    assert "s3cret" not in repr(sender.settings)
    await sender.send(MESSAGE)
    assert len(collector.envelopes) == 1


async def test_sending_does_not_block_the_event_loop(smtp_server: Any) -> None:
    port, collector = smtp_server(delay=0.4)
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    await SMTPEmailSender(host="127.0.0.1", port=port, security="none").send(MESSAGE)
    done.set()
    await task
    assert len(collector.envelopes) == 1
    assert ticks >= 10, f"the event loop only ticked {ticks} times during a 0.4 s delivery"


async def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, smtp_server: Any) -> None:
    from fastapi_betterauth import AuthSettings, BetterAuth, MemoryAdapter

    port, collector = smtp_server()
    monkeypatch.setenv("BETTER_AUTH_SMTP__HOST", "127.0.0.1")
    monkeypatch.setenv("BETTER_AUTH_SMTP__PORT", str(port))
    monkeypatch.setenv("BETTER_AUTH_SMTP__SECURITY", "none")
    monkeypatch.setenv("BETTER_AUTH_SMTP__FROM_ADDRESS", "auth@todo.test")
    auth = BetterAuth(AuthSettings(secret="env-secret-0123456789abcdef0123456789"), adapter=MemoryAdapter())
    assert auth.mailer.enabled
    auth.mailer.send("verification", to="bob@example.com", url="http://x/verify", token="t")
    await auth.mailer.flush()
    envelope, parsed = received(collector)
    assert envelope.mail_from == "auth@todo.test"
    assert parsed["Subject"] == "Verify your email address"
    await auth.close()
