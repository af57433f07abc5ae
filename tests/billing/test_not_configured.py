"""Without Stripe keys the site runs, the Free plan works, billing answers 503."""

from __future__ import annotations

import logging

import pytest
from django.core.management import CommandError, call_command

from billing.models import Plan, Subscription

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/stripe/checkout", {"plan_code": "starter", "interval": "month"}),
        ("post", "/api/stripe/portal", {}),
        ("get", "/api/stripe/subscriptions", None),
        ("post", "/api/subscriptions/create", {"plan_code": "starter"}),
        ("put", "/api/subscriptions/update", {"plan_code": "professional"}),
    ],
)
def test_billing_endpoints_answer_503_billing_not_configured(
    cast, no_stripe, client_for, method, path, body
):
    response = getattr(client_for(cast.owner), method)(path, body, format="json")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "billing_not_configured"


def test_the_webhook_answers_503_without_a_secret(cast, no_stripe, anon):
    response = anon.post(
        "/api/stripe/webhooks",
        data="{}",
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE="t=1,v1=x",
    )

    assert response.status_code == 503


def test_roles_are_checked_before_configuration(cast, no_stripe, client_for):
    response = client_for(cast.viewer).post(
        "/api/stripe/checkout", {"plan_code": "starter"}, format="json"
    )

    assert response.status_code == 403


def test_the_free_plan_and_status_work_without_stripe(cast, no_stripe, client_for, plans):
    Subscription.objects.filter(tenant=cast.tenant).update(plan=plans["starter"], status="trialing")
    client = client_for(cast.owner)

    assert (
        client.put("/api/subscriptions/update", {"plan_code": "free"}, format="json").status_code
        == 200
    )
    status = client.get(f"/api/subscriptions/status/{cast.tenant.id}")
    assert status.status_code == 200
    assert status.json()["plan"]["code"] == "free"
    assert client.get("/api/plans").status_code == 200


def test_cancelling_the_signup_trial_works_without_stripe(cast, no_stripe, client_for, plans):
    Subscription.objects.filter(tenant=cast.tenant).update(plan=plans["starter"], status="trialing")

    response = client_for(cast.owner).delete("/api/subscriptions/cancel")

    assert response.status_code == 200
    assert response.json()["plan"]["code"] == "free"
    assert Subscription.objects.get(tenant=cast.tenant).plan == Plan.objects.get(code="free")


def test_sync_stripe_plans_refuses_without_a_key(plans, no_stripe):
    with pytest.raises(CommandError, match="STRIPE_SECRET_KEY"):
        call_command("sync_stripe_plans")


def test_the_expected_503s_are_logged_as_warnings_not_errors(
    cast, no_stripe, client_for, anon, caplog
):
    with caplog.at_level(logging.INFO, logger="django.request"):
        api = client_for(cast.owner).post("/api/stripe/portal", {}, format="json")
        webhook = anon.post("/api/stripe/webhooks", data="{}", content_type="application/json")

    assert api.status_code == webhook.status_code == 503
    lines = [record for record in caplog.records if record.name == "django.request"]
    assert len(lines) == 2
    assert {record.levelname for record in lines} == {"WARNING"}
