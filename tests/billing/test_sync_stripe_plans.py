"""manage.py sync_stripe_plans: Products and Prices by lookup key, idempotently."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from djstripe.models import Price

from billing.models import Plan

pytestmark = pytest.mark.django_db


def run() -> str:
    out = io.StringIO()
    call_command("sync_stripe_plans", stdout=out)
    return out.getvalue()


@pytest.fixture
def synced_setup(plans, stripe_account, fake_stripe):
    return fake_stripe


def test_it_creates_products_and_prices_and_stores_their_ids(synced_setup):
    fake = synced_setup

    output = run()

    products = fake.calls_to("POST", "/v1/products")
    assert sorted(c.params["id"] for c in products) == [
        "catalytic_enterprise",
        "catalytic_professional",
        "catalytic_starter",
    ]
    prices = {c.params["lookup_key"]: c.params for c in fake.calls_to("POST", "/v1/prices")}
    assert set(prices) == {
        f"catalytic_{code}_{interval}"
        for code in ("starter", "professional", "enterprise")
        for interval in ("month", "year")
    }
    assert prices["catalytic_starter_month"]["unit_amount"] == "2900"
    assert prices["catalytic_enterprise_year"]["unit_amount"] == "499000"
    assert prices["catalytic_starter_year"]["recurring"] == {"interval": "year"}
    starter = Plan.objects.get(code="starter")
    assert starter.stripe_product_id == "catalytic_starter"
    assert fake.get(starter.stripe_price_monthly_id)["lookup_key"] == "catalytic_starter_month"
    assert fake.get(starter.stripe_price_yearly_id)["unit_amount"] == 29000
    assert Plan.objects.get(code="free").stripe_price_monthly_id == ""
    assert Price.objects.filter(lookup_key="catalytic_professional_month").exists()
    assert "created" in output


def test_a_second_run_changes_nothing(synced_setup):
    fake = synced_setup
    run()
    ids = list(Plan.objects.values_list("stripe_price_monthly_id", "stripe_price_yearly_id"))
    fake.calls.clear()

    output = run()

    assert not fake.calls_to("POST", "/v1/products")
    assert not fake.calls_to("POST", "/v1/prices")
    assert (
        list(Plan.objects.values_list("stripe_price_monthly_id", "stripe_price_yearly_id")) == ids
    )
    assert "created" not in output and "unchanged" in output


def test_a_changed_amount_makes_a_new_price_that_takes_the_lookup_key(synced_setup):
    fake = synced_setup
    run()
    old_id = Plan.objects.get(code="starter").stripe_price_monthly_id
    fake.get(old_id)["unit_amount"] = 1900  # someone edited the price in the dashboard
    fake.calls.clear()

    run()

    new_id = Plan.objects.get(code="starter").stripe_price_monthly_id
    assert new_id != old_id
    [create] = fake.calls_to("POST", "/v1/prices")
    assert create.params["transfer_lookup_key"] == "true"
    assert fake.get(new_id)["lookup_key"] == "catalytic_starter_month"
    assert fake.get(old_id)["active"] is False


def test_stripe_refusing_is_a_command_error(synced_setup):
    synced_setup.fail_next("GET", "/v1/products/catalytic_starter", 401, "Invalid API Key provided")

    with pytest.raises(CommandError, match="Stripe is unavailable or refused our key"):
        run()
