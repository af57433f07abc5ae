"""POST /api/stripe/checkout, POST /api/stripe/portal, GET /api/stripe/subscriptions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from djstripe.models import Customer

from billing.models import Plan, Subscription
from tenants.page_auth import SESSION_TENANT_KEY
from tests.billing.conftest import local_subscription

pytestmark = pytest.mark.django_db


def checkout(client, **body):
    body.setdefault("plan_code", "starter")
    body.setdefault("interval", "month")
    return client.post("/api/stripe/checkout", body, format="json")


def test_checkout_creates_a_subscription_session_with_trial_and_metadata(
    billing, fake_stripe, client_for
):
    response = checkout(client_for(billing.admin), plan_code="professional", interval="year")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["session_id"].startswith("cs_test_")
    assert body["url"] == f"https://checkout.stripe.com/c/pay/{body['session_id']}"
    [call] = fake_stripe.calls_to("POST", "/v1/checkout/sessions")
    tenant_id = str(billing.tenant.id)
    assert call.params["mode"] == "subscription"
    assert call.params["line_items"] == [{"price": "price_professional_year", "quantity": "1"}]
    assert call.params["metadata"] == {
        "tenant_id": tenant_id,
        "plan_code": "professional",
        "interval": "year",
    }
    assert call.params["client_reference_id"] == tenant_id
    assert call.params["subscription_data"]["trial_period_days"] == "14"
    assert call.params["subscription_data"]["metadata"]["tenant_id"] == tenant_id
    assert call.params["success_url"].startswith(
        "https://app.catalytic.example/billing/?checkout=success"
    )
    assert "{CHECKOUT_SESSION_ID}" in call.params["success_url"]
    assert call.params["cancel_url"] == "https://app.catalytic.example/billing/?checkout=cancelled"


def test_checkout_creates_the_customer_once_with_the_tenant_id(billing, fake_stripe, client_for):
    client = client_for(billing.owner)
    assert checkout(client).status_code == 200
    assert checkout(client, plan_code="enterprise").status_code == 200

    [create] = fake_stripe.calls_to("POST", "/v1/customers")
    assert create.params["metadata"]["tenant_id"] == str(billing.tenant.id)
    assert create.params["email"] == billing.tenant.billing_email
    customer_ids = {
        c.params["customer"] for c in fake_stripe.calls_to("POST", "/v1/checkout/sessions")
    }
    assert len(customer_ids) == 1
    customer = Customer.objects.get(id=customer_ids.pop())
    assert customer.subscriber == billing.tenant
    assert local_subscription(billing.tenant).stripe_customer_id == customer.id


def test_checkout_continues_the_signup_trial_instead_of_a_new_one(billing, fake_stripe, client_for):
    trial_end = timezone.now() + timedelta(days=10)
    Subscription.objects.filter(tenant=billing.tenant).update(
        plan=Plan.objects.get(code="starter"),
        status="trialing",
        trial_end=trial_end,
    )

    assert checkout(client_for(billing.owner)).status_code == 200

    [call] = fake_stripe.calls_to("POST", "/v1/checkout/sessions")
    assert call.params["subscription_data"]["trial_end"] == str(int(trial_end.timestamp()))
    assert "trial_period_days" not in call.params["subscription_data"]


def test_checkout_gives_no_second_trial(billing, customer, fake_stripe, client_for, deliver):
    ended = fake_stripe.add_subscription(customer=customer.id, price="price_starter_month")
    assert deliver(fake_stripe.event("customer.subscription.created", ended)).status_code == 200
    fake_stripe.set_subscription(ended["id"], status="canceled")
    deleted = fake_stripe.event("customer.subscription.deleted", fake_stripe.get(ended["id"]))
    assert deliver(deleted).status_code == 200

    assert checkout(client_for(billing.owner)).status_code == 200

    [call] = fake_stripe.calls_to("POST", "/v1/checkout/sessions")
    assert "trial_period_days" not in call.params["subscription_data"]


def test_checkout_refuses_a_tenant_that_already_subscribes(
    billing, customer, fake_stripe, client_for, deliver
):
    sub = fake_stripe.add_subscription(customer=customer.id, price="price_starter_month")
    assert deliver(fake_stripe.event("customer.subscription.created", sub)).status_code == 200

    response = checkout(client_for(billing.owner), plan_code="professional")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "subscription_exists"
    assert not fake_stripe.calls_to("POST", "/v1/checkout/sessions")


@pytest.mark.parametrize(
    "body",
    [
        {"plan_code": "free"},
        {"plan_code": "platinum"},
        {"plan_code": "starter", "interval": "week"},
        {},
    ],
)
def test_checkout_rejects_bad_input_with_400(billing, fake_stripe, client_for, body):
    response = client_for(billing.owner).post("/api/stripe/checkout", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert fake_stripe.calls == []


def test_checkout_answers_503_when_plans_were_never_synced(billing, fake_stripe, client_for, plans):
    Plan.objects.filter(code="starter").update(stripe_price_monthly_id="")

    response = checkout(client_for(billing.owner))

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "plan_not_synced"


def test_checkout_answers_503_when_stripe_fails(billing, fake_stripe, client_for):
    fake_stripe.fail_next("POST", "/v1/checkout/sessions", 500, "Internal error", type="api_error")

    response = checkout(client_for(billing.owner))

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "billing_unavailable"


def test_portal_returns_the_session_url_for_the_tenant_customer(
    billing, customer, fake_stripe, client_for
):
    response = client_for(billing.admin).post("/api/stripe/portal", format="json")

    assert response.status_code == 200
    assert response.json()["url"].startswith("https://billing.stripe.com/p/session/bps_")
    [call] = fake_stripe.calls_to("POST", "/v1/billing_portal/sessions")
    assert call.params == {
        "customer": customer.id,
        "return_url": "https://app.catalytic.example/billing/",
    }
    assert not fake_stripe.calls_to("POST", "/v1/customers")


def test_portal_creates_the_customer_on_first_need(billing, fake_stripe, client_for):
    response = client_for(billing.owner).post("/api/stripe/portal", format="json")

    assert response.status_code == 200
    [create] = fake_stripe.calls_to("POST", "/v1/customers")
    assert create.params["metadata"]["tenant_id"] == str(billing.tenant.id)


def test_stripe_subscriptions_lists_the_tenants_own_from_the_database(
    billing, customer, fake_stripe, client_for, deliver
):
    sub = fake_stripe.add_subscription(customer=customer.id, price="price_professional_month")
    assert deliver(fake_stripe.event("customer.subscription.created", sub)).status_code == 200
    other = fake_stripe.add_customer(metadata={"tenant_id": str(billing.other_tenant.id)})
    foreign = fake_stripe.add_subscription(customer=other["id"], price="price_enterprise_month")
    assert deliver(fake_stripe.event("customer.subscription.created", foreign)).status_code == 200
    fake_stripe.calls.clear()

    response = client_for(billing.admin).get("/api/stripe/subscriptions")

    assert response.status_code == 200
    [row] = response.json()["subscriptions"]
    assert row["id"] == sub["id"]
    assert row["plan_code"] == "professional"
    assert row["status"] == "active"
    assert row["interval"] == "month"
    assert fake_stripe.calls == []  # straight from dj-stripe's rows


def test_the_portal_page_redirects_an_admin_into_stripe(billing, customer, fake_stripe, client):
    client.force_login(billing.admin.user)
    session = client.session
    session[SESSION_TENANT_KEY] = str(billing.tenant.id)
    session.save()

    response = client.get("/billing/portal/")

    assert response.status_code == 302
    assert response["Location"].startswith("https://billing.stripe.com/p/session/")


def test_the_portal_page_is_refused_to_a_member(billing, fake_stripe, rf):
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.exceptions import PermissionDenied

    from billing.views import portal

    request = rf.get("/billing/portal/")
    request.user = billing.member.user
    request.session = SessionStore()
    request.session[SESSION_TENANT_KEY] = str(billing.tenant.id)

    with pytest.raises(PermissionDenied):
        portal(request)
    assert fake_stripe.calls == []
