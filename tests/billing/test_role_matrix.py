"""Every billing endpoint for every role: admin-only writes, member reads, 401 for strangers."""

from __future__ import annotations

import pytest

from tests.billing.conftest import local_subscription

pytestmark = pytest.mark.django_db

ADMIN_ONLY = [
    ("post", "/api/stripe/checkout", {"plan_code": "starter", "interval": "month"}),
    ("post", "/api/stripe/portal", {}),
    ("get", "/api/stripe/subscriptions", None),
    ("post", "/api/subscriptions/create", {"plan_code": "free"}),
    ("put", "/api/subscriptions/update", {"plan_code": "free"}),
    ("delete", "/api/subscriptions/cancel", {"at_period_end": True}),
]
ROLE_ALLOWED = {"owner": True, "admin": True, "member": False, "viewer": False}


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY)
def test_billing_writes_need_admin(billing, fake_stripe, client_for, method, path, body):
    for role, allowed in ROLE_ALLOWED.items():
        calls_before = len(fake_stripe.calls)
        response = getattr(client_for(billing.by_role(role)), method)(path, body, format="json")

        if allowed:
            assert response.status_code not in (401, 403), (role, response.content)
        else:
            assert response.status_code == 403, role
            assert response.json()["error"]["code"] == "insufficient_role"
            assert len(fake_stripe.calls) == calls_before  # refused before reaching Stripe


def test_billing_endpoints_need_credentials(billing, anon):
    for method, path, body in ADMIN_ONLY:
        assert getattr(anon, method)(path, body, format="json").status_code == 401, path


def test_an_outsiders_checkout_is_for_their_own_tenant(billing, fake_stripe, client_for):
    response = client_for(billing.outsider).post(
        "/api/stripe/checkout", {"plan_code": "starter", "interval": "month"}, format="json"
    )

    assert response.status_code == 200
    [call] = fake_stripe.calls_to("POST", "/v1/checkout/sessions")
    assert call.params["metadata"]["tenant_id"] == str(billing.other_tenant.id)
    assert local_subscription(billing.tenant).stripe_customer_id == ""


def test_an_outsider_cannot_cancel_another_tenants_subscription(
    billing, customer, fake_stripe, client_for
):
    created = client_for(billing.owner).post(
        "/api/subscriptions/create", {"plan_code": "starter"}, format="json"
    )
    assert created.status_code == 201
    fake_stripe.calls.clear()

    response = client_for(billing.outsider).delete("/api/subscriptions/cancel", format="json")

    assert response.status_code == 409  # the outsider's own tenant has nothing to cancel
    assert fake_stripe.calls == []
    assert local_subscription(billing.tenant).plan.code == "starter"
