from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import ApiKey, User
from tenants.models import AuditEvent, Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, cast):
    staff = User.objects.create_superuser(email="staff@catalytic.example", password="x")
    client.force_login(staff)
    return client


def changelist(model: str) -> str:
    return reverse(f"admin:{model}_changelist")


@pytest.mark.parametrize(
    "model",
    [
        "tenants_tenant",
        "tenants_membership",
        "tenants_invitation",
        "tenants_auditevent",
        "accounts_user",
        "accounts_apikey",
        "accounts_tokenfamily",
        "token_blacklist_outstandingtoken",
        "token_blacklist_blacklistedtoken",
    ],
)
def test_the_admin_lists_open(staff_client, model):
    assert staff_client.get(changelist(model)).status_code == 200


def test_the_tenant_page_shows_members_inline(staff_client, cast):
    response = staff_client.get(reverse("admin:tenants_tenant_change", args=[cast.tenant.pk]))
    assert response.status_code == 200
    assert b"member@acme.example" in response.content


def test_the_admin_search_finds_tenants_by_billing_email(staff_client, cast):
    response = staff_client.get(changelist("tenants_tenant"), {"q": "billing@globex"})
    assert b"Globex Grids" in response.content
    assert b"Acme Lattices" not in response.content


def test_suspend_asks_for_a_reason_then_suspends(staff_client, cast):
    data = {"action": "suspend", "_selected_action": [str(cast.tenant.pk)]}
    confirm = staff_client.post(changelist("tenants_tenant"), data)
    assert confirm.status_code == 200
    assert b"reason" in confirm.content
    assert Tenant.objects.get(pk=cast.tenant.pk).status == "active"

    done = staff_client.post(
        changelist("tenants_tenant"), {**data, "apply": "1", "reason": "Chargeback"}
    )
    assert done.status_code == 302
    tenant = Tenant.objects.get(pk=cast.tenant.pk)
    assert (tenant.status, tenant.suspended_reason) == ("suspended", "Chargeback")
    event = AuditEvent.objects.get(action="tenant.suspended")
    assert event.actor.email == "staff@catalytic.example"

    staff_client.post(
        changelist("tenants_tenant"),
        {"action": "reactivate", "_selected_action": [str(cast.tenant.pk)]},
    )
    assert Tenant.objects.get(pk=cast.tenant.pk).status == "active"


def test_the_api_key_admin_never_shows_the_hash(staff_client, cast, client_for):
    created = (
        client_for(cast.owner)
        .post("/api/tenants/api-keys", {"name": "ci", "scope": "read"}, format="json")
        .json()
    )
    key_hash = ApiKey.objects.get(id=created["id"]).key_hash
    page = staff_client.get(reverse("admin:accounts_apikey_change", args=[created["id"]]))
    assert page.status_code == 200
    assert key_hash.encode() not in page.content
    assert created["key"].encode() not in page.content


def test_the_tenant_page_shows_subscription_usage_and_recent_operations(staff_client, cast):
    from lattices.models import Lattice, LatticeOperation

    lattice = Lattice.objects.create(tenant=cast.tenant, name="Grid A", dimensions=2, size=5)
    LatticeOperation.objects.create(
        tenant=cast.tenant,
        lattice=lattice,
        kind="path",
        status="succeeded",
        duration_ms=1.5,
        actor=cast.member.user,
    )
    response = staff_client.get(reverse("admin:tenants_tenant_change", args=[cast.tenant.pk]))
    content = response.content.decode()
    assert "API calls by month" in content
    assert "Usage this month" in content and "lattices 1 of 5" in content
    assert "Grid A" in content and "Shortest path" in content


def test_the_tenant_list_filters_by_plan_and_finds_tenants_by_member_email(
    staff_client, cast, plans
):
    cast.other_tenant.subscription.plan = plans["starter"]
    cast.other_tenant.subscription.save()
    response = staff_client.get(
        changelist("tenants_tenant"), {"subscription__plan__id__exact": plans["starter"].pk}
    )
    assert b"Globex Grids" in response.content
    assert b"Acme Lattices" not in response.content

    found = staff_client.get(changelist("tenants_tenant"), {"q": "viewer@acme.example"})
    assert b"Acme Lattices" in found.content
    assert b"Globex Grids" not in found.content


def test_suspending_from_the_admin_emails_the_tenant(staff_client, cast):
    from notifications.models import OutboxMessage

    data = {
        "action": "suspend",
        "_selected_action": [str(cast.tenant.pk)],
        "apply": "1",
        "reason": "Chargeback",
    }
    staff_client.post(changelist("tenants_tenant"), data)
    sent = OutboxMessage.objects.filter(tenant=cast.tenant, kind="account_suspended")
    assert sent.exists()
    assert "Chargeback" in sent.first().text_body


def test_resend_welcome_queues_a_welcome_to_each_owner(staff_client, cast):
    from notifications.models import OutboxMessage

    staff_client.post(
        changelist("tenants_tenant"),
        {"action": "resend_welcome", "_selected_action": [str(cast.tenant.pk)]},
    )
    welcomes = OutboxMessage.objects.filter(tenant=cast.tenant, kind="welcome")
    assert list(welcomes.values_list("to_email", flat=True)) == ["owner@acme.example"]
