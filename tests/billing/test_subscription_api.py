"""The subscription API: create, update (proration), cancel, status."""

from __future__ import annotations

from typing import Any

import pytest

from billing.limits import plan_limit
from billing.models import Plan, Subscription
from tenants.models import AuditEvent
from tests.billing.conftest import Customerised, local_subscription

pytestmark = pytest.mark.django_db


def create(client: Any, **body: Any) -> Any:
    body.setdefault("plan_code", "starter")
    body.setdefault("interval", "month")
    return client.post("/api/subscriptions/create", body, format="json")


def update(client: Any, **body: Any) -> Any:
    return client.put("/api/subscriptions/update", body, format="json")


def cancel(client: Any, **body: Any) -> Any:
    return client.delete("/api/subscriptions/cancel", body, format="json")


def subscribed(billing: Any, client_for: Any, plan_code: str = "starter", **body: Any) -> dict:
    response = create(client_for(billing.owner), plan_code=plan_code, **body)
    assert response.status_code == 201, response.content
    return response.json()


# --- create ---------------------------------------------------------------------------


def test_create_subscribes_with_the_card_on_file_and_answers_the_new_state(
    billing, customer, fake_stripe, client_for
):
    response = create(client_for(billing.admin), plan_code="professional", interval="year")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["plan"] == {"code": "professional", "name": "Professional"}
    assert body["status"] == "trialing"  # first subscription: the plan's trial
    assert body["interval"] == "year"
    assert body["trial_end"] is not None
    assert body["limits"]["max_lattices"] == 500
    [call] = fake_stripe.calls_to("POST", "/v1/subscriptions")
    assert call.params["customer"] == customer.id
    assert call.params["items"] == [{"price": "price_professional_year", "quantity": "1"}]
    assert call.params["metadata"]["tenant_id"] == str(billing.tenant.id)
    assert call.params["payment_behavior"] == "error_if_incomplete"
    assert call.params["trial_period_days"] == "14"
    local = local_subscription(billing.tenant)
    assert local.stripe_subscription_id.startswith("sub_")
    assert AuditEvent.objects.filter(
        tenant=billing.tenant, action="plan_changed", actor=billing.admin.user
    ).exists()


def test_create_without_a_payment_method_is_402_with_a_checkout_hint(
    billing, fake_stripe, client_for
):
    response = create(client_for(billing.owner))

    assert response.status_code == 402
    error = response.json()["error"]
    assert error["code"] == "payment_method_required"
    assert error["details"]["checkout_url"] == "/api/stripe/checkout"
    assert not fake_stripe.calls_to("POST", "/v1/subscriptions")
    assert local_subscription(billing.tenant).plan.code == "free"


def test_create_attaches_a_given_payment_method(billing, fake_stripe, client_for):
    card = fake_stripe.add_payment_method(last4="4444")

    response = create(client_for(billing.owner), payment_method_id=card["id"])

    assert response.status_code == 201, response.content
    [attach] = fake_stripe.calls_to("POST", f"/v1/payment_methods/{card['id']}/attach")
    customer_id = attach.params["customer"]
    [default] = fake_stripe.calls_to("POST", f"/v1/customers/{customer_id}")
    assert default.params["invoice_settings"] == {"default_payment_method": card["id"]}
    [subscribe] = fake_stripe.calls_to("POST", "/v1/subscriptions")
    assert subscribe.params["default_payment_method"] == card["id"]


def test_a_declined_card_is_402_and_subscribes_nothing(billing, fake_stripe, client_for, deliver):
    declined = Customerised(fake_stripe, billing.tenant, last4="0002")
    # An earlier, ended subscription: no second trial, so Stripe charges the card at once.
    ended = fake_stripe.add_subscription(customer=declined.id, price="price_starter_month")
    fake_stripe.set_subscription(ended["id"], status="canceled")
    assert deliver(fake_stripe.event("customer.subscription.deleted", ended)).status_code == 200

    response = create(client_for(billing.owner))

    assert response.status_code == 402
    assert response.json()["error"]["code"] == "card_declined"
    [call] = fake_stripe.calls_to("POST", "/v1/subscriptions")
    assert "trial_period_days" not in call.params
    local = local_subscription(billing.tenant)
    assert (local.plan.code, local.stripe_subscription_id) == ("free", "")


def test_create_refuses_a_second_subscription(billing, customer, fake_stripe, client_for):
    subscribed(billing, client_for)

    response = create(client_for(billing.owner), plan_code="enterprise")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "subscription_exists"
    assert len(fake_stripe.calls_to("POST", "/v1/subscriptions")) == 1


def test_create_free_is_local_and_works_without_stripe(billing, no_stripe, client_for):
    Subscription.objects.filter(tenant=billing.tenant).update(
        plan=Plan.objects.get(code="starter"), status="trialing"
    )

    response = create(client_for(billing.owner), plan_code="free")

    assert response.status_code == 201
    assert response.json()["plan"]["code"] == "free"
    assert response.json()["status"] == "active"


@pytest.mark.parametrize(
    "body",
    [
        {"plan_code": "gold"},
        {"plan_code": "starter", "interval": "fortnight"},
        {"plan_code": "starter", "payment_method_id": "not-a-pm"},
        {"plan_code": ["starter"]},
    ],
)
def test_create_rejects_bad_input_with_400(billing, fake_stripe, client_for, body):
    response = client_for(billing.owner).post("/api/subscriptions/create", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert fake_stripe.calls == []


def test_an_unknown_payment_method_is_a_clean_400(billing, fake_stripe, client_for):
    response = create(client_for(billing.owner), payment_method_id="pm_doesnotexist")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "stripe_invalid_request"


# --- update ------------------------------------------------------------------------------


def test_upgrade_changes_the_price_with_proration(billing, customer, fake_stripe, client_for):
    subscribed(billing, client_for, plan_code="starter")
    sub_id = local_subscription(billing.tenant).stripe_subscription_id

    response = update(client_for(billing.admin), plan_code="professional")

    assert response.status_code == 200, response.content
    assert response.json()["plan"]["code"] == "professional"
    assert response.json()["limits"]["max_lattices"] == 500
    [call] = fake_stripe.calls_to("POST", f"/v1/subscriptions/{sub_id}")
    assert call.params["proration_behavior"] == "create_prorations"
    item_id = fake_stripe.get(sub_id)["items"]["data"][0]["id"]
    assert call.params["items"] == [
        {"id": item_id, "price": "price_professional_month", "quantity": "1"}
    ]
    assert local_subscription(billing.tenant).plan.code == "professional"
    assert AuditEvent.objects.filter(
        tenant=billing.tenant, action="plan_changed", target="professional"
    ).exists()


def test_update_can_switch_to_yearly_billing(billing, customer, fake_stripe, client_for):
    subscribed(billing, client_for, plan_code="starter")

    response = update(client_for(billing.owner), plan_code="starter", interval="year")

    assert response.status_code == 200
    assert response.json()["interval"] == "year"


def test_downgrade_keeps_data_and_blocks_new_usage_beyond_the_new_limit(
    billing, customer, fake_stripe, client_for
):
    from lattices.models import Lattice

    subscribed(billing, client_for, plan_code="professional")
    Lattice.objects.bulk_create(
        Lattice(tenant=billing.tenant, name=f"grid {i}", dimensions=2, size=5) for i in range(52)
    )

    response = update(client_for(billing.owner), plan_code="starter")

    assert response.status_code == 200
    assert response.json()["usage"]["lattices"] == {"used": 52, "limit": 50}
    assert Lattice.objects.for_tenant(billing.tenant).count() == 52  # nothing deleted
    billing.tenant.refresh_from_db()
    assert plan_limit(billing.tenant, "max_lattices") == 50
    created = client_for(billing.member).post(
        "/api/lattices", {"name": "one more", "dimensions": 2, "size": 5}, format="json"
    )
    assert created.status_code == 402
    assert Lattice.objects.for_tenant(billing.tenant).count() == 52


def test_update_to_free_with_a_live_subscription_asks_to_cancel(
    billing, customer, fake_stripe, client_for
):
    subscribed(billing, client_for)

    response = update(client_for(billing.owner), plan_code="free")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "cancel_to_downgrade"


def test_update_without_a_subscription_needs_a_payment_method(billing, fake_stripe, client_for):
    response = update(client_for(billing.owner), plan_code="starter")

    assert response.status_code == 402
    assert response.json()["error"]["code"] == "payment_method_required"


def test_leaving_the_signup_trial_for_free_is_local(billing, fake_stripe, client_for):
    Subscription.objects.filter(tenant=billing.tenant).update(
        plan=Plan.objects.get(code="professional"), status="trialing"
    )

    response = update(client_for(billing.owner), plan_code="free")

    assert response.status_code == 200
    assert response.json()["plan"]["code"] == "free"
    assert fake_stripe.calls == []


# --- cancel ----------------------------------------------------------------------------------


def test_cancel_at_period_end_keeps_the_plan_until_then(billing, customer, fake_stripe, client_for):
    subscribed(billing, client_for)
    sub_id = local_subscription(billing.tenant).stripe_subscription_id

    response = cancel(client_for(billing.owner), at_period_end=True)

    assert response.status_code == 200
    body = response.json()
    assert body["plan"]["code"] == "starter"
    assert body["cancel_at_period_end"] is True
    [call] = fake_stripe.calls_to("POST", f"/v1/subscriptions/{sub_id}")
    assert call.params == {"cancel_at_period_end": "true"}


def test_cancel_defaults_to_the_period_end(billing, customer, fake_stripe, client_for):
    subscribed(billing, client_for)

    response = client_for(billing.owner).delete("/api/subscriptions/cancel")

    assert response.status_code == 200
    assert response.json()["cancel_at_period_end"] is True
    assert not fake_stripe.calls_to("DELETE", "/v1/subscriptions/.+")


def test_cancel_at_once_returns_to_free(billing, customer, fake_stripe, client_for):
    subscribed(billing, client_for)
    sub_id = local_subscription(billing.tenant).stripe_subscription_id

    response = cancel(client_for(billing.owner), at_period_end=False)

    assert response.status_code == 200
    assert response.json()["plan"]["code"] == "free"
    assert fake_stripe.calls_to("DELETE", f"/v1/subscriptions/{sub_id}")


def test_cancel_on_free_is_409(billing, fake_stripe, client_for):
    response = cancel(client_for(billing.owner))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "nothing_to_cancel"


def test_an_upgrade_after_scheduling_a_cancellation_resumes_the_subscription(
    billing, customer, fake_stripe, client_for
):
    subscribed(billing, client_for)
    assert cancel(client_for(billing.owner)).json()["cancel_at_period_end"] is True

    response = update(client_for(billing.owner), plan_code="starter")

    assert response.status_code == 200
    assert response.json()["cancel_at_period_end"] is False


# --- status ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "admin", "member", "viewer"])
def test_status_is_readable_by_every_member(billing, client_for, role):
    response = client_for(billing.by_role(role)).get(
        f"/api/subscriptions/status/{billing.tenant.id}"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["plan"] == {"code": "free", "name": "Free"}
    assert body["status"] == "active"
    assert body["limits"]["max_lattices"] == 5
    assert body["usage"]["api_calls"]["limit"] == 1000
    assert set(body) >= {"current_period_end", "cancel_at_period_end", "trial_end"}


def test_status_shows_enterprise_limits_as_unlimited(billing, customer, fake_stripe, client_for):
    subscribed(billing, client_for, plan_code="enterprise")

    response = client_for(billing.viewer).get(f"/api/subscriptions/status/{billing.tenant.id}")

    assert response.json()["limits"]["max_lattices"] is None
    assert response.json()["limits"]["api_calls_per_month"] is None


@pytest.mark.parametrize("path", ["{other}", "not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_status_of_any_other_tenant_is_404(billing, client_for, path):
    path = path.format(other=billing.other_tenant.id)

    response = client_for(billing.owner).get(f"/api/subscriptions/status/{path}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_status_needs_authentication(billing, anon):
    assert anon.get(f"/api/subscriptions/status/{billing.tenant.id}").status_code == 401
