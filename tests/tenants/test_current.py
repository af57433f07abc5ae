from __future__ import annotations

import pytest

from billing.models import Subscription
from tenants.models import AuditEvent, Tenant

pytestmark = pytest.mark.django_db

URL = "/api/tenants/current"
ROLES = ["owner", "admin", "member", "viewer"]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_its_own_tenant(cast, client_for, role):
    response = client_for(cast.by_role(role)).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(cast.tenant.id)
    assert body["slug"] == "acme-lattices"
    assert body["plan"] == "free"
    assert body["subscription_status"] == "active"


def test_a_tenant_without_a_subscription_row_is_on_the_free_plan(cast, client_for):
    Subscription.objects.filter(tenant=cast.tenant).delete()
    body = client_for(cast.owner).get(URL).json()
    # Billing counts it as Free (its limits apply), so the API says so too.
    assert body["plan"] == "free"
    assert body["subscription_status"] is None


def test_an_outsider_only_ever_sees_its_own_tenant(cast, client_for):
    assert client_for(cast.outsider).get(URL).json()["id"] == str(cast.other_tenant.id)


def test_anonymous_requests_are_refused(anon, db):
    assert anon.get(URL).status_code in (401, 403)


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_change_name_domain_and_billing_email(cast, client_for, role):
    response = client_for(cast.by_role(role)).patch(
        URL,
        {"name": "Acme Grids", "domain": "acme.example", "billing_email": "AP@acme.example"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Acme Grids"
    tenant = Tenant.objects.get(pk=cast.tenant.pk)
    assert (tenant.name, tenant.domain, tenant.billing_email) == (
        "Acme Grids",
        "acme.example",
        "ap@acme.example",
    )
    assert tenant.slug == "acme-lattices"  # the slug is not renamed
    event = AuditEvent.objects.get(action="tenant.updated")
    assert event.actor == cast.by_role(role).user
    assert event.metadata["changes"]["name"] == {"from": "Acme Lattices", "to": "Acme Grids"}


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_cannot_change_the_tenant(cast, client_for, role):
    response = client_for(cast.by_role(role)).patch(URL, {"name": "Mine now"}, format="json")
    assert response.status_code == 403
    assert Tenant.objects.get(pk=cast.tenant.pk).name == "Acme Lattices"


def test_status_and_slug_cannot_be_patched(cast, client_for):
    Tenant.objects.filter(pk=cast.tenant.pk).update(status="suspended")
    response = client_for(cast.owner).patch(
        URL, {"status": "active", "slug": "taken"}, format="json"
    )
    assert response.status_code == 200
    tenant = Tenant.objects.get(pk=cast.tenant.pk)
    assert (tenant.status, tenant.slug) == ("suspended", "acme-lattices")


@pytest.mark.parametrize(
    "field, value", [("domain", "not a domain"), ("billing_email", "nope"), ("name", "")]
)
def test_bad_values_are_named(cast, client_for, field, value):
    response = client_for(cast.owner).patch(URL, {field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
