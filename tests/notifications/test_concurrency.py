"""Several delivery workers at once never send a message twice (PostgreSQL, SKIP LOCKED)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connection

from notifications.delivery import DeliveryStats, deliver_due
from notifications.models import OutboxMessage
from tests.notifications.backends import RecordingBackend
from tests.notifications.conftest import RECORDING

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_workers(count: int, **kwargs: Any) -> list[DeliveryStats]:
    barrier = threading.Barrier(count)
    results: list[DeliveryStats] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            results.append(deliver_due(**kwargs))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def test_two_workers_send_each_message_exactly_once(cast: Any, chain: Any) -> None:
    chain(RECORDING)
    # Slow sends keep both workers busy at the same time, so their claims interleave.
    RecordingBackend.reset(delay=0.01)
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            tenant=cast.tenant,
            kind="notice",
            to_email=f"user{i}@acme.example",
            subject=f"notice {i}",
            text_body="t",
        )
        for i in range(60)
    )

    results = run_workers(2, batch_size=5)

    sends = Counter(subject for _, subject in RecordingBackend.sent)
    assert len(sends) == 60
    assert max(sends.values()) == 1, [s for s, n in sends.items() if n > 1]
    assert sum(r.sent for r in results) == 60
    # Both workers took part: the test exercised concurrency, not one worker doing it all.
    assert all(r.sent > 0 for r in results), results
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {("sent", 1)}
