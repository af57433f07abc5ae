from io import StringIO

import pytest
from django.core.management import call_command

from billing.models import Plan


def run_init_db() -> str:
    out = StringIO()
    call_command("init_db", stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_it_seeds_four_plans_and_reports_like_the_seed():
    output = run_init_db()
    assert "CATALYTIC COMPUTING SAAS - DATABASE INITIALIZATION" in output
    assert "✓ Created plan: Free ($0.00/month)" in output
    assert "✓ Created plan: Starter ($29.00/month)" in output
    assert "✓ Created plan: Professional ($99.00/month)" in output
    assert "✓ Created plan: Enterprise ($499.00/month)" in output
    assert "Subscription Plans................................          4" in output
    assert "Tenants...........................................          0" in output
    assert "✅ Database initialization complete!" in output
    free = Plan.objects.get(code="free")
    assert (free.max_lattices, free.max_dimensions, free.max_lattice_size) == (5, 3, 10)
    assert free.api_calls_per_month == 1000
    enterprise = Plan.objects.get(code="enterprise")
    assert enterprise.max_lattices is None and enterprise.api_calls_per_month is None


@pytest.mark.django_db(transaction=True)
def test_running_it_twice_changes_nothing():
    run_init_db()
    second = run_init_db()
    assert "Created plan" not in second
    assert second.count("✓ Unchanged plan:") == 4
    assert Plan.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_it_puts_a_plan_row_out_of_order_back_in_line():
    run_init_db()
    Plan.objects.filter(code="starter").update(sort_order=7)
    output = run_init_db()
    assert "✓ Updated plan: Starter ($29.00/month)" in output
    assert Plan.objects.get(code="starter").sort_order == 1


@pytest.mark.django_db(transaction=True)
def test_it_masks_the_database_password(settings):
    settings.DATABASE_URL = "postgresql://catalytic:topsecret@db.internal:5432/catalytic_saas"
    output = run_init_db()
    assert "topsecret" not in output
    assert "Database URL: postgresql://catalytic:****@db.internal:5432/catalytic_saas" in output
