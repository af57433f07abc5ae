"""The Django admin: plans read-only, each tenant's billing state linked to dj-stripe."""

from __future__ import annotations

import pytest
from djstripe.models import Customer

from accounts.models import User
from billing.models import Plan, Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff = User.objects.create_superuser(email="staff@catalytic.example", password="x-staff-pw-42")
    client.force_login(staff)
    return client


def test_plan_admin_lists_plans_and_keeps_limits_read_only(plans, staff_client):
    starter = Plan.objects.get(code="starter")

    listing = staff_client.get("/admin/billing/plan/")
    page = staff_client.get(f"/admin/billing/plan/{starter.pk}/change/")

    assert listing.status_code == 200
    assert b"Professional" in listing.content
    assert page.status_code == 200
    assert b'name="max_lattices"' not in page.content  # shown, not editable
    assert b'name="is_active"' in page.content
    assert staff_client.get("/admin/billing/plan/add/").status_code == 403


def test_subscription_admin_links_to_the_djstripe_customer(billing, customer, staff_client):
    subscription = Subscription.objects.get(tenant=billing.tenant)
    row = Customer.objects.get(id=customer.id)

    page = staff_client.get(f"/admin/billing/subscription/{subscription.pk}/change/")

    assert page.status_code == 200
    assert f"/admin/djstripe/customer/{row.djstripe_id}/change/".encode() in page.content
    listing = staff_client.get("/admin/billing/subscription/?q=acme")
    assert listing.status_code == 200
    assert b"Acme Lattices" in listing.content


def test_the_admin_recompute_action_rederives_state(
    billing, customer, fake_stripe, deliver, staff_client, plans
):
    sub = fake_stripe.add_subscription(customer=customer.id, price="price_professional_month")
    assert deliver(fake_stripe.event("customer.subscription.created", sub)).status_code == 200
    local = Subscription.objects.get(tenant=billing.tenant)
    Subscription.objects.filter(pk=local.pk).update(plan=plans["free"], status="canceled")

    response = staff_client.post(
        "/admin/billing/subscription/",
        {"action": "resync_from_stripe_rows", "_selected_action": [local.pk]},
    )

    assert response.status_code == 302
    local.refresh_from_db()
    assert (local.plan.code, local.status) == ("professional", "active")
