"""Concurrent requests for one tenant (real PostgreSQL row locks and unique indexes)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from tests.billing.conftest import local_subscription, outbox

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def test_simultaneous_requests_for_one_tenant_are_serialised(
    billing, customer, fake_stripe, client_for, deliver
):
    # One test for both races: each transactional test costs a full flush of dj-stripe's tables.
    owner, admin = client_for(billing.owner), client_for(billing.admin)

    responses = at_once(
        lambda: owner.post("/api/subscriptions/create", {"plan_code": "starter"}, format="json"),
        lambda: admin.post(
            "/api/subscriptions/create", {"plan_code": "professional"}, format="json"
        ),
    )

    assert sorted(r.status_code for r in responses) == [201, 409]
    assert len(fake_stripe.calls_to("POST", "/v1/subscriptions")) == 1

    # The same event delivered twice at the same moment is processed once.
    sub_id = local_subscription(billing.tenant).stripe_subscription_id
    invoice = fake_stripe.add_invoice(customer=customer.id, subscription=sub_id, amount=2900)
    event = fake_stripe.event("invoice.payment_succeeded", invoice)

    responses = at_once(lambda: deliver(event), lambda: deliver(event))

    assert [r.status_code for r in responses] == [200, 200]
    assert len(outbox(billing.tenant, "payment_succeeded")) == 2  # two recipients, once each
