"""Stripe down, overloaded or refusing our key: every billing route answers one clear 503."""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tests.billing.conftest import local_subscription
from tests.pages.conftest import session_client

pytestmark = pytest.mark.django_db

OUTAGES = ["unreachable", "server_error", "rate_limited", "key_refused"]


def closed_port_url() -> str:
    """A local URL nothing listens on: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def break_stripe(kind: str, settings: Any, fake_stripe: Any) -> None:
    if kind == "unreachable":
        settings.STRIPE_API_BASE = closed_port_url()
    elif kind == "server_error":
        fake_stripe.fail_every_call(500, "An unknown error occurred", type="api_error")
    elif kind == "rate_limited":
        fake_stripe.fail_every_call(429, "Too many requests", code="rate_limit")
    else:
        fake_stripe.fail_every_call(401, "Invalid API Key provided", type="invalid_request_error")


def assert_billing_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.content
    error = response.json()["error"]
    assert error["code"] == "billing_unavailable"
    assert "retry" in error["message"].lower()
    assert int(response["Retry-After"]) > 0


def subscribe_first(billing: Any, client_for: Any) -> None:
    response = client_for(billing.owner).post(
        "/api/subscriptions/create", {"plan_code": "starter"}, format="json"
    )
    assert response.status_code == 201, response.content


CALLS = {
    "checkout": ("post", "/api/stripe/checkout", {"plan_code": "starter", "interval": "month"}),
    "portal": ("post", "/api/stripe/portal", None),
    "create": ("post", "/api/subscriptions/create", {"plan_code": "starter"}),
    "update": ("put", "/api/subscriptions/update", {"plan_code": "professional"}),
    "cancel": ("delete", "/api/subscriptions/cancel", {"at_period_end": True}),
    "cancel_now": ("delete", "/api/subscriptions/cancel", {"at_period_end": False}),
}


@pytest.mark.parametrize("outage", OUTAGES)
@pytest.mark.parametrize("route", ["checkout", "portal"])
def test_a_tenant_new_to_stripe_gets_503_when_its_customer_cannot_be_created(
    billing, fake_stripe, settings, client_for, outage, route
):
    break_stripe(outage, settings, fake_stripe)
    method, path, body = CALLS[route]

    response = getattr(client_for(billing.owner), method)(path, body, format="json")

    assert_billing_unavailable(response)
    assert local_subscription(billing.tenant).stripe_customer_id == ""


@pytest.mark.parametrize("outage", OUTAGES)
@pytest.mark.parametrize("route", ["checkout", "portal", "create"])
def test_a_known_customer_gets_503_when_stripe_fails(
    billing, customer, fake_stripe, settings, client_for, outage, route
):
    break_stripe(outage, settings, fake_stripe)
    method, path, body = CALLS[route]

    response = getattr(client_for(billing.owner), method)(path, body, format="json")

    assert_billing_unavailable(response)
    assert local_subscription(billing.tenant).stripe_subscription_id == ""


@pytest.mark.parametrize("outage", OUTAGES)
@pytest.mark.parametrize("route", ["update", "cancel", "cancel_now"])
def test_changing_a_live_subscription_gets_503_and_keeps_the_plan(
    billing, customer, fake_stripe, settings, client_for, outage, route
):
    subscribe_first(billing, client_for)
    break_stripe(outage, settings, fake_stripe)
    method, path, body = CALLS[route]

    response = getattr(client_for(billing.owner), method)(path, body, format="json")

    assert_billing_unavailable(response)
    local = local_subscription(billing.tenant)
    assert local.plan.code == "starter"
    assert local.cancel_at_period_end is False


def test_the_log_names_stripes_request_id(billing, customer, fake_stripe, client_for, caplog):
    fake_stripe.fail_every_call(500, "An unknown error occurred", type="api_error")

    with caplog.at_level(logging.ERROR, logger="billing"):
        response = client_for(billing.owner).post("/api/stripe/portal", format="json")

    assert response.status_code == 503
    assert any("req_fake" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("outage", OUTAGES)
def test_the_portal_page_shows_a_message(billing, fake_stripe, settings, outage):
    break_stripe(outage, settings, fake_stripe)

    response = session_client(billing.owner).get("/billing/portal/", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [("/billing/", 302)]
    assert "Billing is unavailable" in response.content.decode()


@pytest.mark.parametrize("outage", OUTAGES)
def test_the_plan_page_shows_a_message(billing, fake_stripe, settings, outage):
    break_stripe(outage, settings, fake_stripe)

    response = session_client(billing.owner).post(
        "/billing/plan/", {"plan": "starter", "interval": "month"}, follow=True
    )

    assert response.status_code == 200
    assert "Billing is unavailable" in response.content.decode()
    assert local_subscription(billing.tenant).plan.code == "free"


@pytest.mark.parametrize("outage", OUTAGES)
def test_the_cancel_page_shows_a_message(
    billing, customer, fake_stripe, settings, client_for, outage
):
    subscribe_first(billing, client_for)
    break_stripe(outage, settings, fake_stripe)

    response = session_client(billing.owner).post("/billing/cancel/", follow=True)

    assert response.status_code == 200
    assert "Billing is unavailable" in response.content.decode()
    assert local_subscription(billing.tenant).cancel_at_period_end is False


@pytest.mark.parametrize("outage", OUTAGES)
def test_sync_stripe_plans_fails_with_a_clear_error(
    plans, stripe_account, fake_stripe, settings, outage
):
    break_stripe(outage, settings, fake_stripe)

    with pytest.raises(CommandError, match="Stripe is unavailable"):
        call_command("sync_stripe_plans")
