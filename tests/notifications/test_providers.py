"""The provider chain from settings, SendGrid through anymail, and real SMTP on loopback."""

from __future__ import annotations

from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
import requests
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from notifications import emails
from notifications.delivery import deliver_due
from notifications.models import OutboxMessage
from notifications.providers import provider_chain, smtp_options
from tests.notifications.conftest import BROKEN, FakeSendGrid, SmtpServer

Status = OutboxMessage.Status


@pytest.fixture
def queued(cast: Any, settings: Any) -> OutboxMessage:
    settings.EMAIL_DELIVERY_MODE = "worker"
    return emails.send_welcome(user=cast.owner.user, tenant=cast.tenant)


def parsed(envelope: Any) -> Message:
    return message_from_bytes(envelope.original_content)


def test_with_no_provider_configured_the_chain_is_the_email_backend(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert [(p.name, p.backend) for p in provider_chain()] == [
        ("console", "django.core.mail.backends.console.EmailBackend")
    ]


def test_configured_providers_are_chained_sendgrid_then_ses_then_smtp(settings: Any) -> None:
    settings.SENDGRID_API_KEY = "SG.key"
    settings.AWS_ACCESS_KEY_ID = "AKIAEXAMPLE"
    settings.AWS_SECRET_ACCESS_KEY = "secret"
    settings.AWS_REGION = "eu-west-1"
    settings.SMTP_URL = "smtps://u:p@mail.example:2465"
    settings.EMAIL_PROVIDER_TIMEOUT = 7

    chain = provider_chain()

    assert [p.name for p in chain] == ["sendgrid", "amazon_ses", "smtp"]
    sendgrid, ses, smtp = chain
    assert sendgrid.backend == "anymail.backends.sendgrid.EmailBackend"
    assert sendgrid.options == {"api_key": "SG.key", "timeout": 7}
    assert ses.backend == "anymail.backends.amazon_ses.EmailBackend"
    assert ses.options["session_params"] == {
        "aws_access_key_id": "AKIAEXAMPLE",
        "aws_secret_access_key": "secret",
    }
    assert ses.options["client_params"]["region_name"] == "eu-west-1"
    assert ses.options["client_params"]["config"]["read_timeout"] == 7
    assert smtp.options["host"] == "mail.example" and smtp.options["use_ssl"] is True
    # The locmem backend pytest-django configures is not appended once real providers exist.
    assert "locmem" not in [p.name for p in chain]
    # The options are ones the backend accepts: it builds a boto3 client from them
    # (no network call happens until a send).
    connection = ses.connection()
    connection.open()
    assert connection.client.meta.region_name == "eu-west-1"
    connection.close()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://user:p%40ss@mail.example:2525",
            {"host": "mail.example", "port": 2525, "username": "user", "password": "p@ss",
             "use_ssl": False, "use_tls": False},
        ),
        ("smtps://mail.example", {"port": 465, "use_ssl": True, "use_tls": False}),
        ("smtp://mail.example?starttls=1", {"port": 25, "use_ssl": False, "use_tls": True}),
        ("submission://mail.example", {"port": 587, "use_ssl": False, "use_tls": True}),
    ],
)  # fmt: skip
def test_smtp_url_becomes_backend_options(url: str, expected: dict[str, Any]) -> None:
    options = smtp_options(url, timeout=5)
    assert {key: options[key] for key in expected} == expected
    assert options["timeout"] == 5


def test_smtps_with_starttls_is_refused() -> None:
    with pytest.raises(ImproperlyConfigured):
        smtp_options("smtps://mail.example?starttls=1", timeout=5)


def test_it_delivers_through_a_real_smtp_server(
    queued: OutboxMessage, settings: Any, smtp_server: SmtpServer
) -> None:
    settings.SMTP_URL = smtp_server.url

    stats = deliver_due()

    queued.refresh_from_db()
    assert stats.sent == 1
    assert queued.status == Status.SENT
    assert queued.provider == "smtp"
    assert smtp_server.handler.logins == [("mailer", "pa@ss")]
    [envelope] = smtp_server.envelopes
    assert envelope.mail_from == "no-reply@catalytic.example"
    assert envelope.rcpt_tos == ["owner@acme.example"]
    received = parsed(envelope)
    assert received["Subject"] == queued.subject
    assert received["Message-ID"] == queued.provider_message_id
    parts = {part.get_content_type(): part for part in received.walk()}
    assert (
        "https://app.catalytic.example/dashboard/"
        in parts["text/plain"].get_payload(decode=True).decode()
    )
    assert (
        'href="https://app.catalytic.example/dashboard/"'
        in parts["text/html"].get_payload(decode=True).decode()
    )
    assert mail.outbox == []  # locmem was not in the chain


def test_a_failing_provider_fails_over_to_real_smtp(
    queued: OutboxMessage, settings: Any, smtp_server: SmtpServer, sendgrid: FakeSendGrid
) -> None:
    settings.SMTP_URL = smtp_server.url
    sendgrid.error = requests.ConnectionError("sendgrid unreachable")

    deliver_due()

    queued.refresh_from_db()
    assert len(sendgrid.calls) == 1
    assert queued.status == Status.SENT
    assert queued.provider == "smtp"
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [["owner@acme.example"]]


def test_a_down_smtp_server_is_retried_later(
    queued: OutboxMessage, settings: Any, smtp_server: SmtpServer
) -> None:
    settings.SMTP_URL = smtp_server.url.replace(str(smtp_server.port), "1")  # nothing listens

    deliver_due()

    queued.refresh_from_db()
    assert queued.status == Status.QUEUED
    assert queued.last_error.startswith("smtp: ConnectionRefusedError")


def test_a_recipient_the_server_refuses_fails_at_once(
    queued: OutboxMessage, settings: Any, smtp_server: SmtpServer
) -> None:
    settings.SMTP_URL = smtp_server.url
    smtp_server.handler.refuse.add("owner@acme.example")

    deliver_due()

    queued.refresh_from_db()
    assert queued.status == Status.FAILED
    assert queued.attempts == 1
    assert "SMTPRecipientsRefused" in queued.last_error and "550" in queued.last_error


def test_wrong_smtp_credentials_are_a_provider_error(
    queued: OutboxMessage, settings: Any, smtp_server: SmtpServer
) -> None:
    settings.SMTP_URL = smtp_server.url.replace("pa%40ss", "wrong")

    deliver_due()

    queued.refresh_from_db()
    assert queued.status == Status.QUEUED
    assert "SMTPAuthenticationError" in queued.last_error
    assert smtp_server.envelopes == []


def test_sendgrid_sends_through_anymail_and_records_its_message_id(
    queued: OutboxMessage, sendgrid: FakeSendGrid
) -> None:
    deliver_due()

    queued.refresh_from_db()
    assert queued.status == Status.SENT
    assert queued.provider == "sendgrid"
    [call] = sendgrid.calls
    payload = call["payload"]
    assert call["url"] == "https://api.sendgrid.com/v3/mail/send"
    assert payload["personalizations"][0]["to"] == [{"email": "owner@acme.example"}]
    assert payload["subject"] == queued.subject
    # anymail's own message id travels with the message and comes back in webhooks.
    custom_args = payload["personalizations"][0]["custom_args"]
    assert custom_args["anymail_id"] == queued.provider_message_id
    assert payload["custom_args"]["outbox_id"] == str(queued.pk)


def test_a_sendgrid_api_error_fails_over(
    queued: OutboxMessage, sendgrid: FakeSendGrid, chain: Any
) -> None:
    sendgrid.status_code = 500
    from notifications.providers import provider_chain as real_chain

    chain(*real_chain(), BROKEN)

    deliver_due()

    queued.refresh_from_db()
    assert queued.status == Status.QUEUED
    assert "sendgrid: AnymailRequestsAPIError" in queued.last_error
    assert "broken: ProviderDown" in queued.last_error


def test_system_checks_flag_a_broken_smtp_url_and_missing_webhook_secret(settings: Any) -> None:
    from notifications.checks import check_email_configuration

    assert check_email_configuration() == []

    settings.SMTP_URL = "smtp://"
    settings.SENDGRID_API_KEY = "SG.key"
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": ""}

    assert sorted(problem.id for problem in check_email_configuration()) == [
        "notifications.E001",
        "notifications.W001",
    ]


def test_status_with_a_broken_provider_configuration_is_a_clear_503(
    cast: Any, client_for: Any, settings: Any
) -> None:
    settings.SMTP_URL = "smtp://"

    response = client_for(cast.owner).get("/api/email/send")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "email_misconfigured"


def test_a_broken_provider_configuration_leaves_messages_queued_not_stuck(
    queued: OutboxMessage, settings: Any
) -> None:
    settings.SMTP_URL = "smtp://"

    deliver_due()

    queued.refresh_from_db()
    assert queued.status == Status.QUEUED
    assert queued.last_error == "configuration: SMTP_URL has no host"
