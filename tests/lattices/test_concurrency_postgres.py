"""Quota and plan limits under real concurrency: many threads, one PostgreSQL.

Each thread has its own database connection, so these exercise the row-level behaviour
that a fleet of gunicorn workers would: conditional UPDATEs and row locks.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from accounts.models import ApiKey
from billing.models import DailyUsage, UsageCounter, UsageWarning
from billing.usage import current_period, history_key, record_api_call
from lattices import services
from lattices.exceptions import PlanLimitExceeded
from lattices.models import Lattice
from notifications.models import Kind, OutboxMessage
from tenants.models import Tenant
from tests.conftest import bearer_client, caller_for
from tests.lattices.conftest import calls_used

# Flushing only these apps' tables between tests (not dj-stripe's many) keeps them quick.
AVAILABLE_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "accounts",
    "tenants",
    "notifications",  # the usage warnings' emails
    "billing",
    "lattices",
]
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, available_apps=AVAILABLE_APPS),
]


def run_in_threads(count: int, work: Callable[[int], list[Any]]) -> list[Any]:
    """Run `work(index)` in `count` threads released together; all results, in one list."""
    barrier = threading.Barrier(count)
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def target(index: int) -> None:
        try:
            barrier.wait()
            outcome = work(index)
            with lock:
                results.extend(outcome)
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_spending_the_last_calls_never_exceeds_the_quota(cast, set_calls_used):
    set_calls_used(cast.tenant, 990)  # Free: 1000 a month

    def spend(_: int) -> list[bool]:
        caller = caller_for(Tenant.objects.get(pk=cast.tenant.pk), cast.member.user)
        return [record_api_call(caller).allowed for _ in range(5)]

    outcomes = run_in_threads(8, spend)

    assert Counter(outcomes) == {True: 10, False: 30}
    assert calls_used(cast.tenant) == 1000


def test_no_count_is_lost_when_the_months_row_is_created_concurrently(cast, set_plan):
    set_plan(cast.tenant, "enterprise")  # unlimited: every call must be counted

    def spend(_: int) -> list[int]:
        caller = caller_for(Tenant.objects.get(pk=cast.tenant.pk), cast.member.user)
        return [record_api_call(caller).used for _ in range(25)]

    used = run_in_threads(8, spend)

    assert sorted(used) == list(range(1, 201))  # every increment seen exactly once
    assert calls_used(cast.tenant) == 200


def test_concurrent_api_requests_at_the_quota_edge(cast, set_calls_used):
    set_calls_used(cast.tenant, 995)

    def call(_: int) -> list[int]:
        client = bearer_client(cast.member)
        return [client.get("/api/lattices").status_code for _ in range(3)]

    statuses = run_in_threads(6, call)

    assert Counter(statuses) == {200: 5, 429: 13}
    assert calls_used(cast.tenant) == 1000


def test_concurrent_creations_never_exceed_max_lattices(cast, make_lattice):
    for index in range(3):  # Free allows 5
        make_lattice(f"existing-{index}")

    def create(index: int) -> list[str]:
        tenant = Tenant.objects.get(pk=cast.tenant.pk)
        try:
            services.create_lattice(
                caller_for(tenant, cast.member.user), name=f"race-{index}", dimensions=2, size=5
            )
        except PlanLimitExceeded:
            return ["refused"]
        return ["created"]

    outcomes = run_in_threads(8, create)

    assert Counter(outcomes) == {"created": 2, "refused": 6}
    assert Lattice.objects.for_tenant(cast.tenant).count() == 5


def spent_before(cast: Any, calls: int) -> None:
    """`calls` already spent this month, by the owner, in both the counter and the history."""
    period = current_period()
    UsageCounter.objects.create(tenant=cast.tenant, period_start=period.start, api_calls=calls)
    DailyUsage.objects.create(
        tenant=cast.tenant,
        day=period.start,
        who=history_key(caller_for(cast.tenant, cast.owner.user)),
        user=cast.owner.user,
        calls=calls,
    )


def history_total(tenant: Tenant) -> int:
    period = current_period()
    days = DailyUsage.objects.for_tenant(tenant).filter(day__gte=period.start, day__lt=period.end)
    return sum(days.values_list("calls", flat=True))


def test_the_history_adds_up_to_the_counter_under_concurrent_calls(cast):
    spent_before(cast, 960)
    callers = [
        caller_for(cast.tenant, cast.member.user),
        caller_for(cast.tenant, cast.admin.user),
        caller_for(
            cast.tenant,
            api_key_id=ApiKey.objects.create(tenant=cast.tenant, name="ci", prefix="p1").pk,
        ),
        caller_for(
            cast.tenant,
            api_key_id=ApiKey.objects.create(tenant=cast.tenant, name="etl", prefix="p2").pk,
        ),
    ]

    def spend(index: int) -> list[tuple[str, bool]]:
        caller = callers[index % len(callers)]
        return [(history_key(caller), record_api_call(caller).allowed) for _ in range(10)]

    outcomes = run_in_threads(8, spend)

    assert sum(allowed for _, allowed in outcomes) == 40  # of 80 tried
    assert calls_used(cast.tenant) == 1000
    assert history_total(cast.tenant) == 1000  # exactly the counter
    for caller in callers:
        spent = sum(allowed for who, allowed in outcomes if who == history_key(caller))
        recorded = DailyUsage.objects.filter(tenant=cast.tenant, who=history_key(caller))
        assert sum(recorded.values_list("calls", flat=True)) == spent


def test_many_calls_crossing_together_send_each_warning_once(cast):
    spent_before(cast, 790)

    def spend(index: int) -> list[int]:
        caller = caller_for(Tenant.objects.get(pk=cast.tenant.pk), cast.member.user)
        return [record_api_call(caller).used for _ in range(30)]

    used = run_in_threads(8, spend)

    assert sorted(used)[-1] == 1000 and len([u for u in used if u == 1000]) > 1
    assert history_total(cast.tenant) == calls_used(cast.tenant) == 1000
    warnings = UsageWarning.objects.filter(tenant=cast.tenant)
    assert sorted(warnings.values_list("threshold", flat=True)) == [80, 100]
    sent = Counter(
        OutboxMessage.objects.filter(kind=Kind.USAGE_WARNING).values_list("to_email", flat=True)
    )
    # One 80 % and one 100 % email to each owner and admin.
    assert sent == {"owner@acme.example": 2, "admin@acme.example": 2}


def test_deleting_a_lattice_while_it_computes_answers_cleanly(cast):
    # Computations racing with the deletion either finish first (200) or find the
    # lattice gone (404); the deletion itself never fails (it was a 503 once).
    for round_ in range(3):
        lattice = services.create_lattice(
            caller_for(cast.tenant, cast.owner.user), name=f"race {round_}", dimensions=2, size=10
        )
        url = f"/api/lattices/{lattice.id}"
        body = {"start": [0, 0], "end": [9, 9]}

        def work(index: int, url: str = url, body: dict = body) -> list[int]:
            client = bearer_client(cast.member)
            if index == 0:
                return [client.delete(url).status_code]
            return [client.post(f"{url}/path", body, format="json").status_code for _ in range(5)]

        statuses = run_in_threads(4, work)
        assert set(statuses) <= {200, 204, 404}, statuses
        assert 204 in statuses
        assert not Lattice.objects.filter(pk=lattice.pk).exists()
