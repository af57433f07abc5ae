"""Tracking webhooks (SendGrid, Amazon SES): status updates, suppression, authentication."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from notifications import emails
from notifications.delivery import deliver_due
from notifications.models import OutboxMessage, Suppression
from tests.notifications.conftest import WEBHOOK_SECRET, FakeSendGrid

Status = OutboxMessage.Status
SENDGRID_URL = "/webhooks/email/sendgrid/tracking/"
SES_URL = "/webhooks/email/amazon_ses/tracking/"


def basic(credentials: str = WEBHOOK_SECRET) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()}


@pytest.fixture
def sent_via_sendgrid(cast: Any, settings: Any, sendgrid: FakeSendGrid) -> OutboxMessage:
    """A welcome email really handed to (fake) SendGrid by the delivery code."""
    settings.EMAIL_DELIVERY_MODE = "worker"
    message = emails.send_welcome(user=cast.member.user, tenant=cast.tenant)
    deliver_due()
    message.refresh_from_db()
    assert message.status == Status.SENT and message.provider == "sendgrid"
    return message


def sendgrid_event(message: OutboxMessage, event: str, **extra: Any) -> dict[str, Any]:
    return {
        "email": message.to_email,
        "event": event,
        "timestamp": 1_700_000_000,
        "anymail_id": message.provider_message_id,
        "sg_event_id": f"evt-{event}",
        "outbox_id": str(message.pk),
        **extra,
    }


def post_sendgrid(client: Client, events: list[dict[str, Any]], **headers: Any) -> Any:
    return client.post(SENDGRID_URL, json.dumps(events), content_type="application/json", **headers)


def sns(ses_event: dict[str, Any], message_id: str = "sns-1") -> tuple[str, dict[str, str]]:
    body = {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-events",
        "Message": json.dumps(ses_event),
        "Timestamp": "2031-01-01T00:00:00.000Z",
    }
    headers = {
        "HTTP_X_AMZ_SNS_MESSAGE_TYPE": "Notification",
        "HTTP_X_AMZ_SNS_MESSAGE_ID": message_id,
    }
    return json.dumps(body), headers


@pytest.fixture
def sent_via_ses(cast: Any) -> OutboxMessage:
    return OutboxMessage.objects.create(
        tenant=cast.tenant,
        kind="welcome",
        to_email="admin@acme.example",
        subject="s",
        text_body="t",
        status=Status.SENT,
        provider="amazon_ses",
        provider_message_id="0100018c-ses-message-id-000000",
    )


def test_a_sendgrid_delivered_event_marks_the_message_delivered(
    client: Client, sent_via_sendgrid: OutboxMessage
) -> None:
    response = post_sendgrid(client, [sendgrid_event(sent_via_sendgrid, "delivered")], **basic())

    assert response.status_code == 200
    sent_via_sendgrid.refresh_from_db()
    assert sent_via_sendgrid.status == Status.DELIVERED
    assert not Suppression.objects.exists()


def test_a_sendgrid_bounce_marks_it_bounced_and_suppresses_the_address(
    client: Client,
    sent_via_sendgrid: OutboxMessage,
    cast: Any,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    event = sendgrid_event(sent_via_sendgrid, "bounce", reason="550 5.1.1 mailbox unknown")

    assert post_sendgrid(client, [event], **basic()).status_code == 200

    sent_via_sendgrid.refresh_from_db()
    assert sent_via_sendgrid.status == Status.BOUNCED
    assert "550 5.1.1 mailbox unknown" in sent_via_sendgrid.last_error
    suppression = Suppression.objects.get()
    assert (suppression.email, suppression.reason, suppression.provider) == (
        "member@acme.example",
        "bounced",
        "sendgrid",
    )
    assert suppression.message_id == sent_via_sendgrid.pk

    # Later mail to that address is refused, with the reason on record.
    settings.EMAIL_DELIVERY_MODE = "inline"
    with django_capture_on_commit_callbacks(execute=True):
        later = emails.send_password_reset(user=cast.member.user, reset_url="/reset/x/")
    assert later.status == Status.FAILED
    assert "suppressed (bounced" in later.last_error
    assert mail.outbox == []


def test_events_only_move_a_message_forward(
    client: Client, sent_via_sendgrid: OutboxMessage
) -> None:
    events = [
        sendgrid_event(sent_via_sendgrid, "bounce", reason="552 mailbox full"),
        sendgrid_event(sent_via_sendgrid, "delivered"),  # late, out of order
        sendgrid_event(sent_via_sendgrid, "open"),
    ]

    assert post_sendgrid(client, events, **basic()).status_code == 200

    sent_via_sendgrid.refresh_from_db()
    assert sent_via_sendgrid.status == Status.BOUNCED


def test_the_event_is_matched_by_outbox_id_when_it_beats_the_provider_id(
    client: Client, cast: Any, sent_via_sendgrid: OutboxMessage
) -> None:
    OutboxMessage.objects.filter(pk=sent_via_sendgrid.pk).update(provider_message_id="")
    event = sendgrid_event(sent_via_sendgrid, "delivered", anymail_id="not-yet-saved")

    assert post_sendgrid(client, [event], **basic()).status_code == 200

    sent_via_sendgrid.refresh_from_db()
    assert sent_via_sendgrid.status == Status.DELIVERED


def test_ses_complaint_marks_complained_and_suppresses(
    client: Client, sent_via_ses: OutboxMessage
) -> None:
    body, headers = sns(
        {
            "eventType": "Complaint",
            "mail": {
                "messageId": sent_via_ses.provider_message_id,
                "destination": ["admin@acme.example"],
            },
            "complaint": {
                "complainedRecipients": [{"emailAddress": "Admin@Acme.example"}],
                "complaintFeedbackType": "abuse",
            },
        }
    )

    response = client.post(SES_URL, body, content_type="text/plain", **headers, **basic())

    assert response.status_code == 200
    sent_via_ses.refresh_from_db()
    assert sent_via_ses.status == Status.COMPLAINED
    assert Suppression.objects.get().email == "admin@acme.example"
    assert Suppression.objects.get().reason == "complained"


def test_ses_delivery_and_bounce_update_the_message(
    client: Client, sent_via_ses: OutboxMessage
) -> None:
    mail_object = {
        "messageId": sent_via_ses.provider_message_id,
        "destination": ["admin@acme.example"],
    }
    body, headers = sns(
        {
            "eventType": "Delivery",
            "mail": mail_object,
            "delivery": {"recipients": ["admin@acme.example"]},
        },
        "sns-1",
    )
    assert (
        client.post(SES_URL, body, content_type="text/plain", **headers, **basic()).status_code
        == 200
    )
    sent_via_ses.refresh_from_db()
    assert sent_via_ses.status == Status.DELIVERED

    bounce = {
        "bounceType": "Permanent",
        "bounceSubType": "General",
        "bouncedRecipients": [{"emailAddress": "admin@acme.example", "diagnosticCode": "550"}],
    }
    body, headers = sns({"eventType": "Bounce", "mail": mail_object, "bounce": bounce}, "sns-2")
    assert (
        client.post(SES_URL, body, content_type="text/plain", **headers, **basic()).status_code
        == 200
    )
    sent_via_ses.refresh_from_db()
    assert sent_via_ses.status == Status.BOUNCED
    assert sent_via_ses.last_error.startswith("Permanent: General")
    assert Suppression.objects.filter(email="admin@acme.example", reason="bounced").exists()


@pytest.mark.parametrize("credentials", [None, "hooks:wrong-password", "intruder:"])
def test_sendgrid_webhook_without_valid_credentials_changes_nothing(
    client: Client, sent_via_sendgrid: OutboxMessage, credentials: str | None
) -> None:
    headers = basic(credentials) if credentials is not None else {}
    event = sendgrid_event(sent_via_sendgrid, "bounce")

    response = post_sendgrid(client, [event], **headers)

    assert response.status_code == 400
    sent_via_sendgrid.refresh_from_db()
    assert sent_via_sendgrid.status == Status.SENT
    assert not Suppression.objects.exists()


@pytest.mark.parametrize(("credentials", "status"), [(None, 401), ("hooks:wrong", 400)])
def test_ses_webhook_without_valid_credentials_changes_nothing(
    client: Client, sent_via_ses: OutboxMessage, credentials: str | None, status: int
) -> None:
    headers = basic(credentials) if credentials is not None else {}
    body, sns_headers = sns(
        {
            "eventType": "Bounce",
            "mail": {"messageId": sent_via_ses.provider_message_id, "destination": []},
            "bounce": {
                "bounceType": "Permanent",
                "bounceSubType": "General",
                "bouncedRecipients": [{"emailAddress": "admin@acme.example"}],
            },
        }
    )

    response = client.post(SES_URL, body, content_type="text/plain", **sns_headers, **headers)

    assert response.status_code == status
    sent_via_ses.refresh_from_db()
    assert sent_via_ses.status == Status.SENT
    assert not Suppression.objects.exists()


def test_webhooks_refuse_everything_when_no_secret_is_configured(
    client: Client, settings: Any, sent_via_sendgrid: OutboxMessage
) -> None:
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": ""}

    response = post_sendgrid(client, [sendgrid_event(sent_via_sendgrid, "bounce")])

    assert response.status_code == 400
    assert not Suppression.objects.exists()


def test_an_authenticated_but_malformed_payload_is_a_400_not_a_500(
    client: Client, sent_via_ses: OutboxMessage
) -> None:
    sendgrid = client.post(SENDGRID_URL, "{not json", content_type="application/json", **basic())
    body, headers = sns({"eventType": "Bounce"})  # no mail, no bounce object
    ses = client.post(SES_URL, body, content_type="text/plain", **headers, **basic())
    garbage = client.post(SES_URL, "][", content_type="text/plain", **headers, **basic())

    assert (sendgrid.status_code, ses.status_code, garbage.status_code) == (400, 400, 400)
