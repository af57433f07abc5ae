"""Delivery to a real HTTP receiver on loopback: signed, retried, refused, disabled."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing.models import UsageCounter
from billing.usage import current_period
from notifications.models import Kind, OutboxMessage
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

URL = "/api/tenants/webhooks"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"


def documented_verify():
    """The verification function exactly as docs/integrations.md shows it to customers."""
    text = DOCS.read_text()
    section = text[text.index("### Verifying a signature") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - our own documentation
    return namespace["verify_signature"]


def register(client, url, events):
    response = client.post(URL, {"url": url, "events": events}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def deliver() -> None:
    call_command("deliver_webhooks", "--once", stdout=open("/dev/null", "w"))  # noqa: SIM115


def make_due() -> None:
    """Let the backoff pass."""
    WebhookDelivery.objects.filter(status="queued").update(next_attempt_at=timezone.now())


def test_a_ping_arrives_signed_and_verifies_with_the_documented_code(
    cast, client_for, local_targets, receiver
):
    admin = client_for(cast.admin)
    endpoint = register(admin, receiver.url, ["member.added"])
    ping = admin.post(f"{URL}/{endpoint['id']}/test").json()

    deliver()

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    body = json.loads(request.body)
    assert body["id"] == ping["event_id"] and body["type"] == "ping"
    assert set(body) == {"id", "type", "created", "data"}
    assert request.headers["Catalytic-Event-Id"] == ping["event_id"]
    assert request.headers["Content-Type"] == "application/json"
    verify = documented_verify()
    signature = request.headers["Catalytic-Signature"]
    assert verify(endpoint["secret"], request.body, signature)
    assert not verify("whsec_wrong", request.body, signature)
    assert not verify(endpoint["secret"], request.body + b" ", signature)
    assert not verify(endpoint["secret"], request.body, signature, now=body["created"] + 3600)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered" and delivery.last_status_code == 200
    shown = admin.get(f"{URL}/{endpoint['id']}/deliveries").json()["results"][0]
    assert shown["status_code"] == 200 and shown["duration_ms"] is not None


def test_crossing_80_percent_of_the_quota_sends_usage_threshold(
    cast, client_for, local_targets, receiver
):
    register(client_for(cast.admin), receiver.url, ["usage.threshold"])
    UsageCounter.objects.update_or_create(
        tenant=cast.tenant, period_start=current_period().start, defaults={"api_calls": 799}
    )
    member = client_for(cast.member)

    assert member.get("/api/lattices").status_code == 200  # call 800 of 1000
    assert member.get("/api/lattices").status_code == 200  # 801: no second event
    deliver()

    assert len(receiver.requests) == 1
    body = json.loads(receiver.requests[0].body)
    assert body["type"] == "usage.threshold"
    assert body["data"]["percent"] == 80
    assert (body["data"]["used"], body["data"]["limit"]) == (800, 1000)


def test_a_receiver_answering_500_then_200_gets_the_event_once_on_retry(
    cast, client_for, local_targets, receiver
):
    receiver.statuses = [500, 200]
    admin = client_for(cast.admin)
    endpoint = register(admin, receiver.url, ["api_key.created"])
    admin.post("/api/tenants/api-keys", {"name": "ci", "scope": "read"}, format="json")

    deliver()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "queued" and delivery.last_status_code == 500
    assert delivery.next_attempt_at > timezone.now()
    deliver()  # not due yet
    assert len(receiver.requests) == 1

    make_due()
    deliver()
    deliver()

    assert len(receiver.requests) == 2
    first, second = (json.loads(r.body) for r in receiver.requests)
    assert first == second and first["type"] == "api_key.created"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert WebhookEndpoint.objects.get(pk=endpoint["id"]).failing_since is None


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    cast, client_for, local_targets, receiver
):
    receiver.statuses = [302]
    admin = client_for(cast.admin)
    endpoint = register(admin, receiver.url, ["member.added"])
    admin.post(f"{URL}/{endpoint['id']}/test")

    deliver()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == ("queued", 302)
    assert len(receiver.requests) == 1


def test_a_url_that_turned_private_is_refused_at_delivery(
    cast, client_for, local_targets, receiver, settings
):
    admin = client_for(cast.admin)
    endpoint = register(admin, receiver.url, ["member.added"])
    admin.post(f"{URL}/{endpoint['id']}/test")
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False  # as if its DNS now pointed inside

    deliver()

    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "queued" and "private" in delivery.last_error


def test_retries_stop_three_days_after_the_event(cast, client_for, local_targets, receiver):
    receiver.statuses = [503]
    admin = client_for(cast.admin)
    endpoint = register(admin, receiver.url, ["member.added"])
    admin.post(f"{URL}/{endpoint['id']}/test")
    delivery = WebhookDelivery.objects.select_related("event").get()
    delivery.event.created_at = timezone.now() - timedelta(days=3)
    delivery.event.save()

    deliver()

    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.last_status_code == 503


def test_an_endpoint_failing_for_three_days_is_disabled_and_its_admins_emailed(
    cast, client_for, local_targets, receiver
):
    receiver.statuses = [500]
    admin = client_for(cast.admin)
    endpoint = register(admin, receiver.url, ["member.added"])
    WebhookEndpoint.objects.filter(pk=endpoint["id"]).update(
        failing_since=timezone.now() - timedelta(days=3, minutes=1)
    )
    admin.post(f"{URL}/{endpoint['id']}/test")

    deliver()

    row = WebhookEndpoint.objects.get(pk=endpoint["id"])
    assert row.is_active is False and "3 days" in row.disabled_reason
    emailed = set(
        OutboxMessage.objects.filter(tenant=cast.tenant, kind=Kind.NOTICE).values_list(
            "to_email", flat=True
        )
    )
    assert emailed == {"owner@acme.example", "admin@acme.example"}
    admin.post(f"{URL}/{endpoint['id']}/test")
    deliver()
    assert WebhookDelivery.objects.filter(status="failed").count() == 1  # not sent again
    assert len(receiver.requests) == 1

    response = admin.patch(f"{URL}/{endpoint['id']}", {"is_active": True}, format="json")
    assert response.json()["is_active"] is True and response.json()["failing_since"] is None
