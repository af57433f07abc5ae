"""Prices read like prices: whole dollars with a thousands separator ("$4,990 a year")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from billing.models import Subscription
from billing.plans import format_price
from tests.pages.conftest import session_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("0.00"), "$0"),
        (Decimal("29.00"), "$29"),
        (Decimal("999.00"), "$999"),
        (Decimal("4990.00"), "$4,990"),
        (Decimal("1234567.00"), "$1,234,567"),
        (Decimal("1999.50"), "$1,999.50"),
        (Decimal("0.99"), "$0.99"),
    ],
)
def test_format_price(amount: Decimal, text: str) -> None:
    assert format_price(amount) == text


def test_the_pricing_page_writes_the_enterprise_year_with_a_separator(plans: Any) -> None:
    from django.test import Client

    html = Client().get("/pricing/").content.decode()

    assert "or $4,990 a year" in html
    assert "$499<small> / month</small>" in html
    assert "$4990" not in html


def test_the_billing_page_offers_the_yearly_price_with_a_separator(
    cast: Any, stripe_settings: Any
) -> None:
    html = session_client(cast.owner).get("/billing/").content.decode()

    assert "Yearly ($4,990)" in html
    assert "Monthly ($499)" in html
    assert "$4990" not in html


def test_the_dashboard_writes_the_plan_price(cast: Any, plans: Any) -> None:
    Subscription.objects.filter(tenant=cast.tenant).update(plan=plans["enterprise"])

    html = session_client(cast.owner).get("/dashboard/").content.decode()

    assert "$499 a month" in html


def test_the_admin_names_plans_with_their_price(plans: Any) -> None:
    assert str(plans["enterprise"]) == "Enterprise ($499/month)"
