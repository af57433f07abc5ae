"""purge_closed_tenants and the admin's view of closed workspaces."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from djstripe.models import Customer, Invoice
from rest_framework.test import APIClient

from accounts.api_keys import create_api_key
from accounts.models import ApiKey, User
from billing.models import UsageCounter
from lattices import operations, services
from lattices.models import Lattice, LatticeOperation
from notifications.models import OutboxMessage
from tenants.invitations import invite_member
from tenants.models import AuditEvent, Invitation, Membership, Role, Tenant
from tests.conftest import PASSWORD, caller_for
from workspaces.closing import close_tenant

pytestmark = pytest.mark.django_db


def with_data(tenant: Tenant, owner: User) -> None:
    lattice = services.create_lattice(
        caller_for(tenant, owner), name="l", dimensions=2, size=4, obstacles=[[1, 1]]
    )
    operations.count_neighbors(caller_for(tenant, owner), lattice=lattice, point=[0, 0], radius=1)
    UsageCounter.objects.create(tenant=tenant, period_start="2026-10-01", api_calls=3)
    create_api_key(tenant=tenant, actor=owner, name="k", scope="read")
    invite_member(
        tenant=tenant, actor=owner, actor_role=Role.OWNER, email="new@x.example", role=Role.MEMBER
    )


def closed(tenant: Tenant, owner: User, *, days_ago: int) -> Tenant:
    close_tenant(tenant=tenant, actor=owner, confirm=tenant.slug)
    Tenant.objects.filter(pk=tenant.pk).update(closed_at=timezone.now() - timedelta(days=days_ago))
    return Tenant.objects.get(pk=tenant.pk)


def purge(*args: str) -> str:
    out = StringIO()
    call_command("purge_closed_tenants", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def two_closed(cast: Any, settings: Any) -> Any:
    settings.STRIPE_SECRET_KEY = ""
    with_data(cast.tenant, cast.owner.user)
    with_data(cast.other_tenant, cast.outsider.user)
    cast.tenant = closed(cast.tenant, cast.owner.user, days_ago=31)
    cast.other_tenant = closed(cast.other_tenant, cast.outsider.user, days_ago=29)
    return cast


def test_it_purges_only_workspaces_past_the_grace_period(two_closed):
    acme, globex = two_closed.tenant, two_closed.other_tenant

    output = purge()

    assert "✓ Purged acme-lattices" in output
    assert "globex-grids" not in output
    assert "1 workspace purged" in output
    for model in (Lattice, LatticeOperation, UsageCounter, Invitation, Membership, ApiKey):
        assert not model.objects.filter(tenant=acme).exists(), model
        assert model.objects.filter(tenant=globex).exists(), model
    assert not OutboxMessage.objects.filter(tenant=acme).exists()
    tenant = Tenant.objects.get(pk=acme.pk)
    assert tenant.purged_at is not None
    assert tenant.billing_email == ""
    # The people keep their accounts; only their membership of the workspace went.
    assert User.objects.filter(email="member@acme.example").exists()


def test_audit_rows_stay_without_personal_data(two_closed):
    acme = two_closed.tenant
    kept = AuditEvent.objects.filter(tenant=acme).count()

    purge()

    rows = AuditEvent.objects.filter(tenant=acme).exclude(action="tenant.purged")
    assert rows.count() == kept
    assert not rows.filter(actor__isnull=False).exists()
    assert not rows.filter(ip_address__isnull=False).exists()
    assert not rows.exclude(metadata={}).exists()
    assert not rows.filter(target__contains="@").exists()
    assert set(rows.values_list("action", flat=True)) >= {"tenant.closed", "lattice.created"}
    purged = AuditEvent.objects.get(tenant=acme, action="tenant.purged")
    assert purged.metadata["lattices"] == 1
    assert purged.metadata["memberships"] == 4


def test_a_second_run_does_nothing(two_closed):
    purge()

    output = purge()

    assert "0 workspaces purged" in output
    assert AuditEvent.objects.filter(action="tenant.purged").count() == 1


def test_a_dry_run_says_what_would_go_and_changes_nothing(two_closed):
    output = purge("--dry-run")

    assert "Would purge acme-lattices" in output
    assert "lattices" in output
    assert "nothing was changed" in output
    assert Lattice.objects.filter(tenant=two_closed.tenant).exists()
    assert Tenant.objects.get(pk=two_closed.tenant.pk).purged_at is None


def test_the_grace_period_is_a_setting(two_closed, settings):
    settings.TENANT_CLOSE_GRACE_DAYS = 7

    output = purge()

    assert "2 workspaces purged" in output


def test_open_workspaces_are_never_purged(cast):
    with_data(cast.tenant, cast.owner.user)

    assert "0 workspaces purged" in purge()
    assert Lattice.objects.filter(tenant=cast.tenant).exists()


def test_invoices_keep_amounts_and_dates_without_the_customers_details(
    paying, customer, fake_stripe, deliver
):
    invoice = fake_stripe.add_invoice(
        customer=customer.id,
        subscription=paying.stripe_subscription_id,
        amount=2900,
        customer_email="billing@acme-lattices.example",
        customer_name="Acme Lattices Ltd",
    )
    assert deliver(fake_stripe.event("invoice.payment_succeeded", invoice)).status_code == 200
    closed(paying.tenant, paying.owner.user, days_ago=40)

    purge()

    row = Invoice.objects.get(id=invoice["id"])
    assert row.stripe_data["total"] == 2900
    assert row.stripe_data["created"] == invoice["created"]
    assert row.stripe_data["customer_email"] is None
    assert row.stripe_data["customer_name"] is None
    stored = Customer.objects.get(id=customer.id)
    assert stored.email == ""
    assert stored.stripe_data.get("email") is None


# --- the admin ------------------------------------------------------------------------


@pytest.fixture
def staff_client(client: Any, cast: Any) -> Any:
    staff = User.objects.create_superuser(email="staff@catalytic.example", password="x")
    client.force_login(staff)
    return client


def changelist() -> str:
    return reverse("admin:tenants_tenant_changelist")


def test_the_admin_lists_closed_workspaces_with_their_purge_date(staff_client, two_closed):
    response = staff_client.get(changelist(), {"status__exact": "deleted"})

    html = response.content.decode()
    assert response.status_code == 200
    due = two_closed.tenant.closed_at + timedelta(days=30)
    assert f"{due:%Y-%m-%d}" in html
    assert "Acme Lattices" in html and "Globex Grids" in html


def test_staff_restore_a_closed_workspace_within_the_grace_period(staff_client, cast, settings):
    settings.STRIPE_SECRET_KEY = ""
    closed(cast.tenant, cast.owner.user, days_ago=3)

    staff_client.post(
        changelist(), {"action": "restore_closed", "_selected_action": [str(cast.tenant.pk)]}
    )

    tenant = Tenant.objects.get(pk=cast.tenant.pk)
    assert tenant.status == Tenant.Status.ACTIVE
    assert tenant.closed_at is None
    event = AuditEvent.objects.get(action="tenant.restored")
    assert event.actor.email == "staff@catalytic.example"
    # Members log in again (their old sessions stay ended).
    login = APIClient().post(
        "/api/tenants/login", {"email": "member@acme.example", "password": PASSWORD}, format="json"
    )
    assert login.status_code == 200


def test_a_restored_workspace_whose_slug_was_taken_gets_the_next_one(staff_client, cast, settings):
    settings.STRIPE_SECRET_KEY = ""
    closed(cast.tenant, cast.owner.user, days_ago=3)
    Tenant.objects.create(name="Acme Lattices", slug="acme-lattices", billing_email="n@x.example")

    staff_client.post(
        changelist(), {"action": "restore_closed", "_selected_action": [str(cast.tenant.pk)]}
    )

    assert Tenant.objects.get(pk=cast.tenant.pk).slug == "acme-lattices-2"


def test_staff_cannot_restore_after_the_grace_period(staff_client, cast, settings):
    settings.STRIPE_SECRET_KEY = ""
    closed(cast.tenant, cast.owner.user, days_ago=31)

    response = staff_client.post(
        changelist(),
        {"action": "restore_closed", "_selected_action": [str(cast.tenant.pk)]},
        follow=True,
    )

    assert "grace period" in response.content.decode()
    assert Tenant.objects.get(pk=cast.tenant.pk).status == Tenant.Status.DELETED


def test_staff_purge_at_once_after_confirming(staff_client, cast, settings):
    settings.STRIPE_SECRET_KEY = ""
    with_data(cast.tenant, cast.owner.user)
    closed(cast.tenant, cast.owner.user, days_ago=1)
    data = {"action": "purge_now", "_selected_action": [str(cast.tenant.pk)]}

    confirm = staff_client.post(changelist(), data)
    assert confirm.status_code == 200
    assert b"cannot be undone" in confirm.content
    assert Lattice.objects.filter(tenant=cast.tenant).exists()

    staff_client.post(changelist(), {**data, "apply": "1"})

    assert not Lattice.objects.filter(tenant=cast.tenant).exists()
    event = AuditEvent.objects.get(action="tenant.purged")
    assert event.actor.email == "staff@catalytic.example"


def test_purge_now_leaves_open_workspaces_alone(staff_client, cast):
    with_data(cast.tenant, cast.owner.user)

    staff_client.post(
        changelist(),
        {"action": "purge_now", "_selected_action": [str(cast.tenant.pk)], "apply": "1"},
    )

    assert Lattice.objects.filter(tenant=cast.tenant).exists()
    assert not AuditEvent.objects.filter(action="tenant.purged").exists()
