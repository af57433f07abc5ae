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
        "accounts_refreshtoken",
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
