"""A subscription change from Stripe becomes a `subscription.updated` webhook event."""

from __future__ import annotations

import pytest

from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db


def test_a_plan_change_from_stripe_queues_subscription_updated(
    billing, customer, fake_stripe, deliver
):
    endpoint = WebhookEndpoint.objects.create(
        tenant=billing.tenant,
        url="https://hooks.example.net/x",
        events=["subscription.updated"],
        secret="whsec_test",
    )
    sub = fake_stripe.add_subscription(customer=customer.id, price="price_professional_month")

    response = deliver(fake_stripe.event("customer.subscription.created", sub))
    assert response.status_code == 200, response.content
    again = deliver(fake_stripe.event("customer.subscription.updated", sub))
    assert again.status_code == 200

    event = WebhookEvent.objects.for_tenant(billing.tenant).get()  # the repeat changed nothing
    assert event.type == "subscription.updated"
    assert event.data["plan"] == "professional" and event.data["status"] == "active"
    assert event.data["previous"]["plan"] == "free"
    assert WebhookDelivery.objects.get(event=event).endpoint == endpoint
