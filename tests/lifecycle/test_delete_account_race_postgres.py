"""Two owners of one workspace delete their accounts at the same moment (real PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tenants.models import Membership, Role
from tests.billing.test_concurrency_postgres import at_once
from tests.conftest import PASSWORD, make_member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def deleting(client: Any) -> Callable[[], Any]:
    return lambda: client.post("/api/users/me/delete", {"password": PASSWORD}, format="json")


def test_two_owners_deleting_their_accounts_at_once_leave_the_workspace_an_owner(cast, client_for):
    co_owner = make_member(cast.tenant, "co-owner@acme.example", Role.OWNER)
    first, second = client_for(cast.owner), client_for(co_owner)

    for _ in range(5):  # a lost race shows within a few rounds; a fixed one never does
        responses = at_once(*(deleting(client) for client in (first, second)))
        owners = Membership.objects.filter(tenant=cast.tenant, role=Role.OWNER)
        assert owners.count() == 1, [r.status_code for r in responses]
        assert sorted(r.status_code for r in responses) == [204, 409]
        assert (
            responses[[r.status_code for r in responses].index(409)].json()["error"]["code"]
            == "last_owner"
        )
        # The one who went comes back as an owner for the next round.
        stayed = owners.get()
        emails = {"owner@acme.example", "co-owner@acme.example"} - {stayed.user.email}
        returned = make_member(cast.tenant, emails.pop(), Role.OWNER)
        first, second = client_for(stayed), client_for(returned)
