"""Two close requests at the same moment (real PostgreSQL row locks)."""

from __future__ import annotations

import pytest

from tenants.models import AuditEvent, Tenant
from tests.billing.test_concurrency_postgres import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_closes_cancel_the_subscription_exactly_once(paying, fake_stripe, client_for):
    first, second = client_for(paying.owner), client_for(paying.owner)
    body = {"confirm": "acme-lattices"}

    responses = at_once(
        lambda: first.post("/api/tenants/close", body, format="json"),
        lambda: second.post("/api/tenants/close", body, format="json"),
    )

    # The second either waited on the tenant's row lock and found it closed (same answer,
    # no Stripe call) or came after the commit, when its token was already refused.
    assert sorted(r.status_code for r in responses) in ([200, 200], [200, 401])
    assert len(fake_stripe.calls_to("DELETE", "/v1/subscriptions/.+")) == 1
    assert AuditEvent.objects.filter(action="tenant.closed").count() == 1
    assert Tenant.objects.get(pk=paying.tenant.pk).status == Tenant.Status.DELETED
