"""Dashboard: plan and status, banners, usage against limits, recent operations; audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import Subscription, UsageCounter
from billing.usage import current_period
from lattices import operations, services
from tenants import audit
from tenants.models import Tenant
from tests.conftest import caller_for

pytestmark = pytest.mark.django_db


def test_dashboard_shows_plan_status_usage_and_limits(cast, page_client):
    UsageCounter.objects.create(
        tenant=cast.tenant, period_start=current_period().start, api_calls=950
    )
    services.create_lattice(
        caller_for(cast.tenant, cast.owner.user), name="A", dimensions=2, size=4
    )

    html = page_client(cast.viewer).get("/dashboard/").content.decode()

    assert "<h1>Acme Lattices</h1>" in html
    assert 'data-testid="plan-name">Free' in html
    assert "950 of 1,000" in html
    assert 'max="1000" value="950" class="high"' in html
    assert "1 of 5" in html
    assert "up to 3 dimensions, 10 points per axis" in html


def test_recent_operations_are_the_tenants_own(cast, page_client):
    mine = services.create_lattice(
        caller_for(cast.tenant, cast.owner.user), name="Mine", dimensions=2, size=4
    )
    theirs = services.create_lattice(
        caller_for(cast.other_tenant, cast.outsider.user), name="Theirs", dimensions=2, size=4
    )
    operations.find_path(
        caller_for(cast.tenant, cast.member.user), lattice=mine, start=[0, 0], end=[3, 3]
    )
    operations.find_path(
        caller_for(cast.other_tenant, cast.outsider.user), lattice=theirs, start=[0, 0], end=[1, 1]
    )

    html = page_client(cast.member).get("/dashboard/").content.decode()

    assert f'href="/lattices/{mine.pk}/">Mine</a>' in html
    assert "Theirs" not in html
    assert "member@acme.example" in html


def test_a_viewer_sees_no_write_actions_on_the_dashboard(cast, page_client):
    html = page_client(cast.viewer).get("/dashboard/").content.decode()

    assert "New lattice" not in html
    assert "Change plan" not in html


def test_the_trial_banner_counts_the_days_left(cast, page_client, plans):
    Subscription.objects.filter(tenant=cast.tenant).update(
        plan=plans["starter"],
        status="trialing",
        trial_end=timezone.now() + timedelta(days=3, hours=2),
    )

    html = page_client(cast.owner).get("/dashboard/").content.decode()

    assert "Starter trial:</strong> 4 days left." in html
    assert "Choose how to pay" in html


def test_the_past_due_banner_offers_pay_now_to_admins_only(
    cast, page_client, plans, stripe_settings
):
    Subscription.objects.filter(tenant=cast.tenant).update(plan=plans["starter"], status="past_due")

    admin = page_client(cast.admin).get("/lattices/").content.decode()
    member = page_client(cast.member).get("/lattices/").content.decode()

    assert "Your last payment failed." in admin
    assert "Your last payment failed." in member
    assert 'href="/billing/portal/">Pay now</a>' in admin
    assert "Pay now" not in member
    assert "Ask an owner or admin of this workspace to pay." in member


def test_the_suspended_banner_gives_the_reason(cast, page_client):
    Tenant.objects.filter(pk=cast.tenant.pk).update(
        status="suspended", suspended_reason="Repeated payment failures"
    )

    html = page_client(cast.member).get("/dashboard/").content.decode()

    assert "This workspace is suspended." in html
    assert "Reason: Repeated payment failures." in html
    assert "New lattice" not in html


def test_an_active_paid_tenant_has_no_banner(cast, page_client, plans):
    Subscription.objects.filter(tenant=cast.tenant).update(plan=plans["starter"], status="active")

    html = page_client(cast.owner).get("/dashboard/").content.decode()

    assert 'class="banner' not in html


# --- audit log ----------------------------------------------------------------------------


def test_the_audit_log_shows_the_tenants_events_to_admins(cast, page_client):
    audit.record("member.updated", tenant=cast.tenant, actor=cast.owner.user, target="user:x")
    audit.record(
        "member.removed", tenant=cast.other_tenant, actor=cast.outsider.user, target="user:y"
    )

    html = page_client(cast.admin).get("/audit-log/").content.decode()

    assert "member.updated" in html
    assert "member.removed" not in html
    filtered = page_client(cast.admin).get("/audit-log/?action=login.succeeded").content.decode()
    assert "No events of this kind." in filtered


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_the_audit_log_is_for_owners_and_admins(cast, page_client, role):
    client = page_client(cast.by_role(role))

    assert client.get("/audit-log/").status_code == 403
    assert 'href="/audit-log/"' not in client.get("/dashboard/").content.decode()
