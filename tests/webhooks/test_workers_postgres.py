"""Several deliver_webhooks workers at once, on real PostgreSQL: each event arrives once."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from django.db import connection

from tests.lattices.test_concurrency_postgres import AVAILABLE_APPS, run_in_threads
from webhooks import services
from webhooks.delivery import deliver_due
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, available_apps=[*AVAILABLE_APPS, "webhooks"]),
]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real PostgreSQL (set DATABASE_URL=postgresql://...)")


def test_concurrent_workers_deliver_each_event_exactly_once(cast, local_targets, receiver):
    endpoint = WebhookEndpoint.objects.create(
        tenant=cast.tenant, url=receiver.url, events=["member.added"], secret="whsec_x"
    )
    pings = {str(services.send_ping(endpoint=endpoint, actor=None).pk) for _ in range(12)}

    run_in_threads(3, lambda _: [deliver_due(batch_size=2).processed])

    received = Counter(json.loads(r.body)["id"] for r in receiver.requests)
    assert set(received) == pings and set(received.values()) == {1}
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
