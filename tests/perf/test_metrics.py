"""Each business metric shows up in /metrics after the action that should move it."""

from __future__ import annotations

import io
from typing import Any

import pytest
from anymail.signals import AnymailTrackingEvent
from django.core.management import call_command
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from billing.models import UsageCounter
from billing.usage import current_period
from notifications.tracking import handle_tracking_event
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def sample(client: Any, name: str, **labels: str) -> float:
    """The value of one sample in /metrics (0 when it is not there yet)."""
    response = client.get("/metrics")
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.content.decode()):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return found.value
    return 0.0


def test_lattice_operation_durations_are_recorded_by_type(cast, client_for, lattice, client):
    name = "catalytic_lattice_operation_seconds_count"
    before = sample(client, name, operation="path", status="succeeded")

    response = client_for(cast.member).post(
        f"/api/lattices/{lattice.id}/path", {"start": [0, 0], "end": [3, 3]}, format="json"
    )

    assert response.status_code == 200
    assert sample(client, name, operation="path", status="succeeded") == before + 1


def test_a_spent_monthly_quota_counts_a_quota_rejection(cast, client_for, lattice, client):
    name = "catalytic_quota_rejections_total"
    before = sample(client, name, limit="api_calls_per_month")
    UsageCounter.objects.update_or_create(
        tenant=cast.tenant,
        period_start=current_period().start,
        defaults={"api_calls": 10_000_000},
    )

    assert client_for(cast.member).get(f"/api/lattices/{lattice.id}").status_code == 429
    assert sample(client, name, limit="api_calls_per_month") == before + 1


def test_a_plan_limit_refusal_counts_a_quota_rejection(cast, client_for, client):
    name = "catalytic_quota_rejections_total"
    before = sample(client, name, limit="max_dimensions")

    response = client_for(cast.member).post(
        "/api/lattices", {"name": "too deep", "dimensions": 10, "size": 2}, format="json"
    )

    assert response.status_code == 402
    assert sample(client, name, limit="max_dimensions") == before + 1


def test_failed_logins_and_rate_limit_hits_are_counted(cast, client, settings):
    settings.RATELIMIT_LOGIN = "2/m"
    settings.TRUSTED_PROXIES = []
    failures = sample(client, "catalytic_login_failures_total", reason="invalid_credentials")
    hits = sample(client, "catalytic_rate_limit_hits_total", group="login:ip")
    anon = APIClient()
    body = {"email": cast.member.user.email, "password": "not-" + PASSWORD}

    statuses = [anon.post("/api/tenants/login", body, format="json").status_code for _ in range(3)]

    assert statuses == [401, 401, 429]
    assert sample(client, "catalytic_login_failures_total", reason="invalid_credentials") == (
        failures + 2
    )
    assert sample(client, "catalytic_rate_limit_hits_total", group="login:ip") == hits + 1


def test_stripe_webhooks_are_counted_by_type_and_result(client, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_metrics"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_metrics"
    name = "catalytic_webhook_events_total"
    labels = {"source": "stripe", "event_type": "unknown", "result": "invalid_signature"}
    before = sample(client, name, **labels)

    response = client.post(
        "/api/stripe/webhooks",
        data='{"id": "evt_1", "object": "event", "type": "invoice.paid"}',
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE="t=1,v1=forged",
    )

    assert response.status_code == 400
    assert sample(client, name, **labels) == before + 1


def test_email_tracking_events_are_counted_by_type_and_result(client):
    name = "catalytic_webhook_events_total"
    labels = {"source": "sendgrid", "event_type": "delivered", "result": "unknown_message"}
    before = sample(client, name, **labels)

    event = AnymailTrackingEvent(event_type="delivered", message_id="<nobody@example>")
    handle_tracking_event(sender=None, event=event, esp_name="SendGrid")

    assert sample(client, name, **labels) == before + 1


def test_a_delivery_run_publishes_the_outbox_depth(cast, client, settings):
    settings.EMAIL_DELIVERY_MODE = "worker"
    response = APIClient().post(
        "/api/auth/password-reset", {"email": cast.member.user.email}, format="json"
    )
    assert response.status_code in (200, 202, 204), response.content

    call_command("deliver_emails", "--once", stdout=io.StringIO())

    assert sample(client, "catalytic_email_outbox_depth", status="sent") >= 1
    assert sample(client, "catalytic_email_outbox_depth", status="queued") == 0


def test_request_latency_and_responses_are_recorded_by_route(cast, client_for, lattice, client):
    labels = {"view": "lattices_api:lattice-detail", "method": "GET"}
    latency = "django_http_requests_latency_seconds_by_view_method_count"
    responses = "django_http_responses_total_by_status_view_method_total"
    before = sample(client, latency, **labels)
    ok_before = sample(client, responses, status="200", **labels)
    missing_before = sample(client, responses, status="404", **labels)
    member = client_for(cast.member)

    assert member.get(f"/api/lattices/{lattice.id}").status_code == 200
    assert member.get("/api/lattices/00000000-0000-0000-0000-000000000000").status_code == 404

    assert sample(client, latency, **labels) == before + 2
    assert sample(client, responses, status="200", **labels) == ok_before + 1
    assert sample(client, responses, status="404", **labels) == missing_before + 1
