"""Email that goes nowhere (the console backend) is never reported as sent, and a
production deploy check refuses to run without a real provider."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import Error, run_checks
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from notifications.models import OutboxMessage

URL = "/api/email/send"
CONSOLE = "django.core.mail.backends.console.EmailBackend"
NOTICE = {"subject": "Maintenance tonight", "message": "We upgrade the cluster at 22:00."}


@pytest.fixture
def console_only(settings: Any) -> Any:
    settings.EMAIL_BACKEND = CONSOLE
    return settings


def deploy_errors() -> list[Error]:
    messages = run_checks(include_deployment_checks=True, tags=["notifications"])
    return [m for m in messages if m.is_serious()]


def test_check_deploy_fails_in_production_without_an_email_provider(console_only: Any) -> None:
    console_only.DEBUG = False

    [error] = deploy_errors()

    assert error.id == "notifications.E002"
    for name in ("SENDGRID_API_KEY", "AWS_ACCESS_KEY_ID", "SMTP_URL"):
        assert name in error.msg + error.hint
    assert "console" in error.msg


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SMTP_URL", "smtp://mail.catalytic.example:587?starttls=1"),
        ("SENDGRID_API_KEY", "SG.test-key"),
        ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
    ],
)
def test_any_configured_provider_satisfies_the_check(
    console_only: Any, name: str, value: str
) -> None:
    console_only.DEBUG = False
    setattr(console_only, name, value)
    console_only.ANYMAIL = {**console_only.ANYMAIL, "WEBHOOK_SECRET": "hooks:secret"}

    assert deploy_errors() == []


def test_development_may_print_email_to_the_console(console_only: Any) -> None:
    console_only.DEBUG = True

    assert deploy_errors() == []


@pytest.mark.django_db(transaction=True)
def test_the_send_api_says_a_console_message_was_not_delivered(
    cast: Any, client_for: Any, console_only: Any, capsys: Any
) -> None:
    payload = {"kind": "notice", "to": ["member@acme.example"], "context": NOTICE}

    response = client_for(cast.admin).post(URL, payload, format="json")

    assert response.status_code == 202, response.json()
    [message] = response.json()["messages"]
    assert message["status"] == "not_delivered"
    assert "Maintenance tonight" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_status_endpoint_says_console_is_not_delivery(
    cast: Any, client_for: Any, console_only: Any
) -> None:
    OutboxMessage.objects.create(
        tenant=cast.tenant, kind="notice", to_email="member@acme.example", subject="s",
        text_body="t", status="sent", provider="console",
    )  # fmt: skip

    body = client_for(cast.admin).get(URL).json()

    assert body["providers"] == ["console (not delivered)"]
    assert body["delivering"] is False
    assert body["last_sent_at"] is None


@pytest.mark.django_db
def test_the_status_endpoint_with_a_real_provider_is_delivering(
    cast: Any, client_for: Any, console_only: Any
) -> None:
    console_only.SMTP_URL = "smtp://mail.catalytic.example:587?starttls=1"

    body = client_for(cast.admin).get(URL).json()

    assert body["providers"] == ["smtp"]
    assert body["delivering"] is True


@pytest.mark.django_db
def test_the_outbox_admin_shows_console_messages_as_not_delivered(cast: Any) -> None:
    common = {"tenant": cast.tenant, "kind": "notice", "subject": "s", "text_body": "t"}
    OutboxMessage.objects.create(
        to_email="a@acme.example", status="sent", provider="console", **common
    )
    OutboxMessage.objects.create(
        to_email="b@acme.example", status="sent", provider="smtp", **common
    )
    staff = Client()
    staff.force_login(User.objects.create_superuser(email="staff@catalytic.example"))

    html = staff.get(reverse("admin:notifications_outboxmessage_changelist")).content.decode()

    assert html.count("console (not delivered)") == 1
    assert ">Sent<" in html


@pytest.mark.django_db
def test_the_worker_warns_when_it_delivers_nowhere(console_only: Any, capsys: Any) -> None:
    OutboxMessage.objects.create(
        kind="notice", to_email="a@acme.example", subject="Hello", text_body="t"
    )

    call_command("deliver_emails", "--once")

    lines = capsys.readouterr().out.splitlines()
    assert "no email provider is configured: console (not delivered)" in lines[0]
    assert lines[-1] == "not_delivered=1 retrying=0 failed=0"
