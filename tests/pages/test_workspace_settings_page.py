"""The workspace settings page: owners and admins change the name and billing email
(through the service of `PATCH /api/tenants/current`); members and viewers get 403."""

from __future__ import annotations

import pytest

from tenants.models import AuditEvent, Tenant
from tests.two_factor_helpers import enrol

pytestmark = pytest.mark.django_db

URL = "/workspace/settings/"


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_change_name_and_billing_email(cast, page_client, role):
    client = page_client(cast.by_role(role))
    assert 'value="Acme Lattices"' in client.get(URL).content.decode()

    response = client.post(URL, {"name": "Acme Grids", "billing_email": "Money@Acme.example"})

    assert response.status_code == 302
    tenant = Tenant.objects.get(pk=cast.tenant.pk)
    assert (tenant.name, tenant.billing_email) == ("Acme Grids", "money@acme.example")
    event = AuditEvent.objects.get(action="tenant.updated")
    assert event.metadata["changes"]["name"] == {"from": "Acme Lattices", "to": "Acme Grids"}
    assert "Workspace settings saved." in client.get(URL).content.decode()


def test_bad_values_are_shown_at_their_fields(cast, page_client):
    response = page_client(cast.admin).post(URL, {"name": "", "billing_email": "not-an-email"})

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_name_error"' in html and 'id="id_billing_email_error"' in html
    assert Tenant.objects.get(pk=cast.tenant.pk).name == "Acme Lattices"


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_are_refused(cast, page_client, role):
    client = page_client(cast.by_role(role))

    assert client.get(URL).status_code == 403
    assert client.post(URL, {"name": "Mine now", "billing_email": "x@y.example"}).status_code == 403
    assert Tenant.objects.get(pk=cast.tenant.pk).name == "Acme Lattices"
    assert 'href="/workspace/settings/"' not in client.get("/dashboard/").content.decode()


def test_the_outsider_changes_only_its_own_workspace(cast, page_client):
    page_client(cast.outsider).post(
        URL, {"name": "Globex Two", "billing_email": "b@globex.example"}
    )

    assert Tenant.objects.get(pk=cast.tenant.pk).name == "Acme Lattices"
    assert Tenant.objects.get(pk=cast.other_tenant.pk).name == "Globex Two"


def test_an_owner_with_two_factor_requires_it_of_the_team(cast, page_client, client_for):
    enrol(client_for(cast.owner))
    client = page_client(cast.owner)
    assert 'data-testid="two-factor-requirement"' in client.get(URL).content.decode()

    response = client.post(URL, {"two_factor": "1", "require_two_factor": "on"})

    assert response.status_code == 302
    assert Tenant.objects.get(pk=cast.tenant.pk).require_two_factor is True
    assert AuditEvent.objects.filter(action="tenant.two_factor_requirement").exists()
    client.post(URL, {"two_factor": "1"})
    assert Tenant.objects.get(pk=cast.tenant.pk).require_two_factor is False


def test_an_owner_without_two_factor_cannot_require_it(cast, page_client):
    client = page_client(cast.owner)

    client.post(URL, {"two_factor": "1", "require_two_factor": "on"})

    assert Tenant.objects.get(pk=cast.tenant.pk).require_two_factor is False
    assert "Turn on two-factor sign-in for your own account" in client.get(URL).content.decode()


def test_an_admin_sees_the_requirement_but_cannot_change_it(cast, page_client):
    client = page_client(cast.admin)
    html = client.get(URL).content.decode()
    assert 'data-testid="two-factor-requirement"' not in html
    assert "not required" in html

    client.post(URL, {"two_factor": "1", "require_two_factor": "on"})

    assert Tenant.objects.get(pk=cast.tenant.pk).require_two_factor is False
