"""Starting to pay needs a proven email: checkout (API and page) and a paid subscription
answer 403 `email_unverified` until the person follows their verification link."""

from __future__ import annotations

import pytest

from accounts.models import User
from tenants.page_auth import SESSION_TENANT_KEY
from tests.billing.conftest import local_subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def unverified_owner(billing):
    User.objects.filter(pk=billing.owner.user_id).update(email_verified_at=None)
    return billing.owner


def test_checkout_is_refused_until_the_email_is_verified(
    billing, unverified_owner, fake_stripe, client_for
):
    response = client_for(unverified_owner).post(
        "/api/stripe/checkout", {"plan_code": "starter", "interval": "month"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "email_unverified"
    assert fake_stripe.calls_to("POST", "/v1/checkout/sessions") == []


def test_a_verified_admin_of_the_same_workspace_may_start_checkout(
    billing, unverified_owner, fake_stripe, client_for
):
    response = client_for(billing.admin).post(
        "/api/stripe/checkout", {"plan_code": "starter", "interval": "month"}, format="json"
    )

    assert response.status_code == 200


def test_a_paid_subscription_is_refused_but_the_free_plan_is_not(
    billing, unverified_owner, fake_stripe, client_for
):
    client = client_for(unverified_owner)

    paid = client.post("/api/subscriptions/create", {"plan_code": "starter"}, format="json")
    free = client.post("/api/subscriptions/create", {"plan_code": "free"}, format="json")

    assert paid.status_code == 403
    assert paid.json()["error"]["code"] == "email_unverified"
    assert fake_stripe.calls_to("POST", "/v1/subscriptions") == []
    assert free.status_code in (200, 201), free.content
    assert local_subscription(billing.tenant).plan.code == "free"


def test_the_billing_page_says_why_instead_of_opening_checkout(
    billing, unverified_owner, fake_stripe, client
):
    client.force_login(unverified_owner.user)
    session = client.session
    session[SESSION_TENANT_KEY] = str(billing.tenant.pk)
    session.save()

    response = client.post("/billing/plan/", {"plan": "professional"}, follow=True)

    assert response.redirect_chain == [("/billing/", 302)]
    assert "Confirm your email address first" in response.content.decode()
    assert fake_stripe.calls_to("POST", "/v1/checkout/sessions") == []
