"""Billing pages: plan, Checkout, Portal, cancel and invoices, against the fake Stripe."""

from __future__ import annotations

from typing import Any

import pytest

from billing.models import Plan, Subscription
from tenants.models import Tenant
from tests.billing.conftest import local_subscription
from workspaces.signup import start_subscription

pytestmark = pytest.mark.django_db


def subscribe(fake_stripe: Any, customer: Any, deliver: Any, price: str = "price_starter_month"):
    sub = fake_stripe.add_subscription(
        customer=customer.id, price=price, default_payment_method=customer.payment_method["id"]
    )
    assert deliver(fake_stripe.event("customer.subscription.created", sub)).status_code == 200
    fake_stripe.calls.clear()
    return sub


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_open_billing(cast, page_client, role):
    response = page_client(cast.by_role(role)).get("/billing/")

    assert response.status_code == 200
    assert 'data-testid="billing-plan">Free' in response.content.decode()


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_neither_see_nor_open_billing(cast, page_client, role):
    client = page_client(cast.by_role(role))

    assert 'href="/billing/"' not in client.get("/dashboard/").content.decode()
    assert client.get("/billing/").status_code == 403
    assert client.get("/billing/portal/").status_code == 403


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_billing_posts_without_the_role_are_403_and_call_no_stripe(
    billing, fake_stripe, page_client, role
):
    client = page_client(billing.by_role(role))

    assert client.post("/billing/plan/", {"plan": "starter"}).status_code == 403
    assert client.post("/billing/cancel/").status_code == 403
    assert fake_stripe.calls == []
    assert local_subscription(billing.tenant).plan.code == "free"


def test_without_stripe_keys_the_page_says_so_and_free_works(cast, no_stripe, page_client):
    client = page_client(cast.owner)

    html = client.get("/billing/").content.decode()
    assert "Billing is not configured on this server." in html
    assert "Not available until billing is configured." in html
    assert "Manage payment" not in html

    client.post("/billing/plan/", {"plan": "starter"})
    assert local_subscription(cast.tenant).plan.code == "free"
    assert "Billing is not configured on this server; the Free plan is available." in (
        client.get("/billing/").content.decode()
    )


def test_choosing_a_paid_plan_sends_the_browser_to_checkout(billing, fake_stripe, page_client):
    response = page_client(billing.owner).post(
        "/billing/plan/", {"plan": "professional", "interval": "year"}
    )

    assert response.status_code == 303
    assert response["Location"].startswith("https://checkout.stripe.com/c/pay/cs_test")
    [call] = fake_stripe.calls_to("POST", "/v1/checkout/sessions")
    assert call.params["line_items"][0]["price"] == "price_professional_year"
    assert call.params["metadata"]["tenant_id"] == str(billing.tenant.pk)
    assert local_subscription(billing.tenant).plan.code == "free"  # until Stripe confirms


def test_a_subscriber_changes_plan_in_place(billing, customer, fake_stripe, deliver, page_client):
    sub = subscribe(fake_stripe, customer, deliver)

    response = page_client(billing.admin).post("/billing/plan/", {"plan": "professional"})

    assert response.status_code == 302
    assert fake_stripe.calls_to("POST", f"/v1/subscriptions/{sub['id']}")
    assert not fake_stripe.calls_to("POST", "/v1/checkout/sessions")
    assert local_subscription(billing.tenant).plan.code == "professional"


def test_cancel_at_period_end_keeps_the_plan_until_then(
    billing, customer, fake_stripe, deliver, page_client
):
    sub = subscribe(fake_stripe, customer, deliver)
    client = page_client(billing.owner)

    response = client.post("/billing/cancel/")

    assert response.status_code == 302
    [call] = fake_stripe.calls_to("POST", f"/v1/subscriptions/{sub['id']}")
    assert call.params["cancel_at_period_end"] == "true"
    local = local_subscription(billing.tenant)
    assert local.plan.code == "starter" and local.cancel_at_period_end
    html = client.get("/billing/").content.decode()
    assert "Your subscription ends on" in html
    assert "Cancel at period end" not in html


def test_cancelling_the_signup_trial_returns_to_free(cast, no_stripe, page_client, plans):
    Subscription.objects.filter(tenant=cast.tenant).delete()
    start_subscription(tenant=Tenant.objects.get(pk=cast.tenant.pk), plan_code="starter")

    page_client(cast.owner).post("/billing/cancel/")

    assert local_subscription(cast.tenant).plan.code == "free"


def test_manage_payment_redirects_into_the_stripe_portal(
    billing, customer, fake_stripe, page_client
):
    response = page_client(billing.admin).get("/billing/portal/")

    assert response.status_code == 302
    assert response["Location"].startswith("https://billing.stripe.com/p/session/")
    [call] = fake_stripe.calls_to("POST", "/v1/billing_portal/sessions")
    assert call.params["customer"] == customer.id


def test_invoices_come_from_our_database(billing, customer, fake_stripe, deliver, page_client):
    sub = subscribe(fake_stripe, customer, deliver)
    invoice = fake_stripe.add_invoice(
        customer=customer.id, subscription=sub["id"], amount=2900, number="CAT-0001"
    )
    assert deliver(fake_stripe.event("invoice.payment_succeeded", invoice)).status_code == 200
    fake_stripe.calls.clear()

    html = page_client(billing.owner).get("/billing/").content.decode()

    assert "CAT-0001" in html
    assert "29.00 USD" in html
    assert invoice["hosted_invoice_url"] in html
    assert fake_stripe.calls == []  # read from dj-stripe's rows, not from Stripe
    assert "CAT-0001" not in page_client(billing.outsider).get("/billing/").content.decode()


# --- pricing ------------------------------------------------------------------------------


def test_pricing_lists_the_offered_plans_with_billing_plans_figures(plans, browser_anon):
    # billing/plans.py says what a plan costs and allows; its row only whether it is offered.
    Plan.objects.filter(code="enterprise").update(is_active=False)

    html = browser_anon.get("/pricing/").content.decode()

    assert "Starter" in html and "50 lattices" in html
    assert 'href="/signup/?plan=professional"' in html
    assert 'href="/signup/?plan=enterprise"' not in html
    assert "Your plan" not in html


def test_pricing_marks_the_current_plan_when_logged_in(cast, page_client, plans):
    Subscription.objects.filter(tenant=cast.tenant).update(plan=plans["professional"])

    html = page_client(cast.viewer).get("/pricing/").content.decode()

    assert "Your plan" in html
    assert 'class="card plan current" aria-labelledby="plan-professional"' in html
    assert "/signup/" not in html.split("<main")[1]
