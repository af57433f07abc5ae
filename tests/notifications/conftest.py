"""Fixtures for the email tests: a real SMTP server, a fake SendGrid API, provider chains."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from django.db import connection

from notifications import delivery, outbox
from notifications.providers import Provider

BROKEN = Provider("broken", "tests.notifications.backends.BrokenBackend")
LOCMEM = Provider("locmem", "django.core.mail.backends.locmem.EmailBackend")
RECORDING = Provider("recording", "tests.notifications.backends.RecordingBackend")
WEBHOOK_SECRET = "hooks:s3cret-webhook-pass"
SMTP_CREDENTIALS = ("mailer", "pa@ss")


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs real PostgreSQL (set DATABASE_URL=postgresql://...)")


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SITE_URL = "https://app.catalytic.example"
    settings.SUPPORT_EMAIL = "help@catalytic.example"
    settings.DEFAULT_FROM_EMAIL = "Catalytic <no-reply@catalytic.example>"
    settings.EMAIL_DELIVERY_MODE = "inline"
    # No provider variables from the developer's shell leak into the tests.
    settings.SENDGRID_API_KEY = ""
    settings.AWS_ACCESS_KEY_ID = ""
    settings.AWS_SECRET_ACCESS_KEY = ""
    settings.SMTP_URL = ""
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": WEBHOOK_SECRET}


@pytest.fixture(autouse=True)
def _inline_delivery_not_paused() -> Iterator[None]:
    # A test whose provider fails pauses immediate delivery in this process; the
    # next test starts fresh.
    outbox._inline_paused_until = 0.0
    yield
    outbox._inline_paused_until = 0.0


@pytest.fixture
def chain(monkeypatch: pytest.MonkeyPatch) -> Any:
    """`chain(BROKEN, LOCMEM)` makes delivery try those providers, in that order."""

    def use(*providers: Provider) -> None:
        monkeypatch.setattr(delivery, "provider_chain", lambda: list(providers))

    return use


@dataclass
class RecordingHandler:
    """aiosmtpd handler keeping every accepted envelope; refuses listed recipients."""

    envelopes: list[Any] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    logins: list[tuple[str, str]] = field(default_factory=list)

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((login, password))
        # handled=False: let aiosmtpd answer 535 itself on a failure.
        return AuthResult(success=(login, password) == SMTP_CREDENTIALS, handled=False)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: RecordingHandler

    @property
    def url(self) -> str:
        return f"smtp://mailer:pa%40ss@{self.host}:{self.port}"

    @property
    def envelopes(self) -> list[Any]:
        return self.handler.envelopes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd), for the length of one test."""
    handler = RecordingHandler()
    port = free_port()
    # auth_require_tls=False: the test server speaks plain SMTP on loopback only.
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=handler.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, handler)
    finally:
        controller.stop()


@dataclass
class FakeSendGrid:
    """Stands in for SendGrid's HTTP API (no request leaves the machine)."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    status_code: int = 202
    error: Exception | None = None

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        assert url.startswith("https://api.sendgrid.com/"), url
        self.calls.append({"url": url, "payload": json.loads(kwargs["data"])})
        if self.error is not None:
            raise self.error
        response = requests.Response()
        response.status_code = self.status_code
        response._content = b"" if self.status_code == 202 else b'{"errors": ["boom"]}'
        response.url = url
        response.request = requests.Request(method, url).prepare()
        return response


@pytest.fixture
def sendgrid(settings: Any, monkeypatch: pytest.MonkeyPatch) -> FakeSendGrid:
    settings.SENDGRID_API_KEY = "SG.test-key"
    fake = FakeSendGrid()
    monkeypatch.setattr(
        requests.Session,
        "request",
        lambda session, method, url, **kw: fake.request(method, url, **kw),
    )
    return fake
