"""Two requests carrying one Idempotency-Key at the same moment, on real PostgreSQL."""

from __future__ import annotations

from collections import Counter

import pytest

from lattices.models import Lattice
from tests.conftest import bearer_client
from tests.lattices.conftest import calls_used
from tests.lattices.test_concurrency_postgres import AVAILABLE_APPS, run_in_threads

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, available_apps=AVAILABLE_APPS),
]


def test_concurrent_requests_with_one_key_create_one_lattice(cast):
    clients = [bearer_client(cast.member) for _ in range(4)]
    body = {"name": "once", "dimensions": 2, "size": 6}

    def send(index: int) -> list[tuple[int, str]]:
        response = clients[index].post(
            "/api/lattices", body, format="json", HTTP_IDEMPOTENCY_KEY="race"
        )
        replayed = response.get("Idempotent-Replayed", "")
        return [(response.status_code, replayed)]

    outcomes = run_in_threads(4, send)

    statuses = Counter(code for code, _ in outcomes)
    # One ran; each other either found it running (409) or, if it came late, replayed it.
    assert statuses[201] >= 1 and statuses[201] + statuses[409] == 4
    assert sum(1 for code, replayed in outcomes if code == 201 and not replayed) == 1
    assert Lattice.objects.for_tenant(cast.tenant).count() == 1
    assert calls_used(cast.tenant) == 1
