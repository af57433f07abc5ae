"""An owner requires two-factor sign-in: members without it may only enrol."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.api_keys import create_api_key
from tenants.models import AuditEvent
from tests.two_factor_helpers import enrol, error_code

pytestmark = pytest.mark.django_db

CURRENT = "/api/tenants/current"


def require(client, value=True):
    return client.patch(CURRENT, {"require_two_factor": value}, format="json")


@pytest.fixture
def required(cast, client_for):
    """Tenant A requires two-factor; its owner has it (a prerequisite), nobody else."""
    owner = client_for(cast.owner)
    enrol(owner)
    response = require(owner)
    assert response.status_code == 200, response.content
    return owner


def test_an_owner_without_two_factor_cannot_require_it(cast, client_for):
    response = require(client_for(cast.owner))

    assert (response.status_code, error_code(response)) == (409, "two_factor_not_enabled")
    cast.tenant.refresh_from_db()
    assert cast.tenant.require_two_factor is False


@pytest.mark.parametrize("role", ["admin", "member", "viewer"])
def test_only_an_owner_may_change_the_requirement(cast, client_for, role):
    client = client_for(cast.by_role(role))
    enrol(client)

    response = client.patch(CURRENT, {"require_two_factor": True, "name": "Renamed"}, format="json")

    assert (response.status_code, error_code(response)) == (403, "insufficient_role")
    cast.tenant.refresh_from_db()
    assert (cast.tenant.require_two_factor, cast.tenant.name) == (False, "Acme Lattices")


def test_an_owner_requires_it_and_it_is_audited(cast, required):
    body = required.get(CURRENT).json()

    assert body["require_two_factor"] is True
    event = AuditEvent.objects.get(action="tenant.two_factor_requirement", tenant=cast.tenant)
    assert event.metadata["required"] is True
    assert event.actor == cast.owner.user

    assert require(required, False).json()["require_two_factor"] is False


def test_a_member_without_two_factor_may_only_enrol(cast, client_for, required):
    member = client_for(cast.member)
    refused = [
        member.get(CURRENT),
        member.get("/api/lattices"),
        member.get("/api/tenants/members"),
        member.post("/api/lattices", {"name": "x", "dimensions": 2, "size": 3}, format="json"),
    ]
    assert [(r.status_code, error_code(r)) for r in refused] == [(403, "two_factor_required")] * 4

    assert member.get("/api/users/me").json()["two_factor"] is False
    # The same token works everywhere once the person has enrolled.
    enrol(member)
    assert member.get(CURRENT).status_code == 200
    assert member.get("/api/lattices").status_code == 200


def test_a_member_without_two_factor_may_log_out(cast, client_for, required):
    assert client_for(cast.member).post("/api/tenants/logout", {}, format="json").status_code == 204


def test_members_who_have_it_and_api_keys_are_not_asked(cast, anon, required):
    assert required.get("/api/lattices").status_code == 200
    key = create_api_key(tenant=cast.tenant, actor=cast.member.user, name="ci", scope="read")
    anon.credentials(HTTP_X_API_KEY=key.key)
    assert anon.get("/api/lattices").status_code == 200


def test_other_workspaces_are_not_affected(cast, client_for, required):
    assert client_for(cast.outsider).get("/api/lattices").status_code == 200


def test_the_requirement_is_read_by_the_one_sign_in_query(cast, client_for, required):
    member = client_for(cast.member)
    member.get("/api/users/me")  # warm: key ring, statement text
    with CaptureQueriesContext(connection) as queries:
        response = member.get(CURRENT)
    assert error_code(response) == "two_factor_required"
    assert len(queries) == 1
