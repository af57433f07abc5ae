"""The plan table, the limit function, init_db's copy of it, and GET /api/plans."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing.limits import plan_limit, tenant_plan_code, upgrade_suggestion
from billing.models import Plan, Subscription
from billing.plans import PLANS, get_plan_spec, parse_lookup_key, stripe_lookup_key

pytestmark = pytest.mark.django_db


def test_the_plan_table_has_the_seed_plans_and_prices():
    assert [(p.code, p.price_monthly) for p in PLANS] == [
        ("free", Decimal("0.00")),
        ("starter", Decimal("29.00")),
        ("professional", Decimal("99.00")),
        ("enterprise", Decimal("499.00")),
    ]
    assert get_plan_spec("starter").price_cents("year") == 29000


def test_lookup_keys_round_trip_and_reject_foreign_keys():
    assert stripe_lookup_key("professional", "year") == "catalytic_professional_year"
    assert parse_lookup_key("catalytic_professional_year") == ("professional", "year")
    for foreign in (
        None,
        "",
        "catalytic_gold_month",
        "other_starter_month",
        "catalytic_starter_week",
    ):
        assert parse_lookup_key(foreign) is None


def test_plan_limit_answers_from_the_tenants_plan(cast, plans):
    assert plan_limit(cast.tenant, "max_lattices") == 5
    Subscription.objects.filter(tenant=cast.tenant).update(plan=plans["enterprise"])
    cast.tenant.refresh_from_db()
    assert plan_limit(cast.tenant, "max_lattices") is None  # unlimited
    assert plan_limit(cast.tenant, "api_calls_per_month") is None
    with pytest.raises(KeyError):
        plan_limit(cast.tenant, "max_users")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("active", "professional"),
        ("trialing", "professional"),
        ("past_due", "professional"),  # Stripe is still retrying: the plan holds
        ("unpaid", "free"),
        ("canceled", "free"),
        ("incomplete", "free"),
        ("incomplete_expired", "free"),
        ("paused", "free"),
    ],
)
def test_only_entitled_statuses_keep_the_plans_limits(cast, plans, status, expected):
    Subscription.objects.filter(tenant=cast.tenant).update(
        plan=plans["professional"], status=status, stripe_subscription_id="sub_1"
    )
    cast.tenant.refresh_from_db()

    assert tenant_plan_code(cast.tenant) == expected


def test_an_expired_signup_trial_falls_back_to_free(cast, plans):
    Subscription.objects.filter(tenant=cast.tenant).update(
        plan=plans["starter"], status="trialing", trial_end=timezone.now() - timedelta(minutes=1)
    )
    cast.tenant.refresh_from_db()
    assert tenant_plan_code(cast.tenant) == "free"

    Subscription.objects.filter(tenant=cast.tenant).update(
        trial_end=timezone.now() + timedelta(days=1)
    )
    cast.tenant.refresh_from_db()
    assert tenant_plan_code(cast.tenant) == "starter"


def test_the_api_names_the_plan_whose_limits_apply_without_a_subscription_row(cast, client_for):
    Subscription.objects.filter(tenant=cast.tenant).delete()
    cast.tenant.refresh_from_db()

    shown = client_for(cast.owner).get("/api/tenants/current").json()["plan"]

    assert shown == tenant_plan_code(cast.tenant) == "free"


def test_upgrade_suggestion_names_the_next_plan_that_fits(cast):
    assert upgrade_suggestion(cast.tenant, "max_lattices", wanted=6) == "starter"
    assert upgrade_suggestion(cast.tenant, "max_lattices", wanted=51) == "professional"
    assert upgrade_suggestion(cast.tenant, "max_lattices", wanted=10_000) == "enterprise"


def test_init_db_creates_a_missing_plan_row_and_puts_rows_back_in_order(plans):
    Plan.objects.filter(code="enterprise").delete()
    Plan.objects.filter(code="starter").update(sort_order=9)
    out = io.StringIO()

    call_command("init_db", skip_migrate=True, stdout=out)

    assert "✓ Created plan: Enterprise ($499.00/month)" in out.getvalue()
    assert "✓ Updated plan: Starter ($29.00/month)" in out.getvalue()
    assert out.getvalue().count("Unchanged plan") == 2
    assert list(Plan.objects.values_list("code", flat=True)) == [spec.code for spec in PLANS]


def test_a_plan_rows_prices_and_limits_are_the_codes(plans):
    starter = Plan.objects.get(code="starter")

    assert (starter.name, starter.price_monthly, starter.max_lattices) == (
        "Starter",
        Decimal("29.00"),
        50,
    )
    assert starter.spec is get_plan_spec("starter")


def test_plans_endpoint_is_public_with_prices_and_limits(plans, anon):
    response = anon.get("/api/plans")

    assert response.status_code == 200
    rows = response.json()["plans"]
    assert [row["code"] for row in rows] == ["free", "starter", "professional", "enterprise"]
    starter = rows[1]
    assert starter["price_monthly"] == "29.00"
    assert starter["price_yearly"] == "290.00"
    assert starter["trial_days"] == 14
    assert starter["limits"]["max_lattices"] == 50
    assert rows[3]["limits"]["api_calls_per_month"] is None


def test_plans_list_background_job_limits_larger_searches_on_larger_plans(plans, anon):
    rows = {row["code"]: row["limits"] for row in anon.get("/api/plans").json()["plans"]}

    concurrent = {code: limits["max_concurrent_jobs"] for code, limits in rows.items()}
    assert concurrent == {"free": 1, "starter": 2, "professional": 5, "enterprise": 20}
    multiple = {c: lim["job_search_budget"] // lim["search_budget"] for c, lim in rows.items()}
    assert multiple == {"free": 1, "starter": 5, "professional": 10, "enterprise": 100}


def test_plans_endpoint_ignores_a_bad_token(plans, anon):
    anon.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    assert anon.get("/api/plans").status_code == 200


def test_plans_endpoint_hides_retired_plans(plans, anon):
    Plan.objects.filter(code="enterprise").update(is_active=False)

    codes = [row["code"] for row in anon.get("/api/plans").json()["plans"]]

    assert "enterprise" not in codes


def test_plans_endpoint_is_read_only(plans, anon):
    assert anon.post("/api/plans", {}, format="json").status_code == 405
