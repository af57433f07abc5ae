"""billing.usage spends a call with one function on both databases: these run on each.

The suite runs them on SQLite by default and on PostgreSQL with DATABASE_URL set: the
statements differ (one on PostgreSQL, two on SQLite), what they leave must not.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiKey
from billing.models import DailyUsage, UsageCounter
from billing.usage import current_period, history_key, record_api_call
from tests.conftest import caller_for
from tests.lattices.conftest import calls_used

pytestmark = pytest.mark.django_db

CONTROL = ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT")


def spent_statements(call: Any) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        call()
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(CONTROL)]


def history(cast: Any) -> dict[str, int]:
    rows = DailyUsage.objects.filter(tenant=cast.tenant).values_list("who", "calls")
    return dict(rows)


def test_a_call_spends_the_counter_and_the_days_history_in_the_dialects_statements(
    cast, set_calls_used
):
    set_calls_used(cast.tenant, 7)
    caller = caller_for(cast.tenant, cast.member.user)

    statements = spent_statements(lambda: record_api_call(caller))

    if connection.vendor == "postgresql":
        assert len(statements) == 1 and statements[0].startswith("WITH spent AS (UPDATE")
    else:
        update, upsert = statements
        assert update.startswith("UPDATE billing_usagecounter") and "RETURNING" in update
        assert upsert.startswith("INSERT INTO billing_dailyusage") and "ON CONFLICT" in upsert
    assert calls_used(cast.tenant) == 8
    assert history(cast) == {history_key(caller): 1}


def test_each_caller_has_its_history_row_and_the_days_add_up_to_the_month(cast):
    member = caller_for(cast.tenant, cast.member.user)
    website = caller_for(cast.tenant, cast.admin.user, method="session")
    key = caller_for(cast.tenant, api_key_id=make_api_key(cast))

    results = [record_api_call(caller) for caller in (member, member, website, key, member)]

    assert [result.used for result in results] == [1, 2, 3, 4, 5]
    assert history(cast) == {
        f"user:{cast.member.user.pk}": 3,
        f"web:{cast.admin.user.pk}": 1,
        f"key:{key.api_key_id}": 1,
    }
    row = DailyUsage.objects.get(tenant=cast.tenant, who=history_key(key))
    assert (row.api_key_id, row.user_id) == (key.api_key_id, None)
    assert sum(history(cast).values()) == calls_used(cast.tenant)


def test_a_refused_call_counts_nowhere(cast, set_calls_used):
    set_calls_used(cast.tenant, 999)  # Free: 1,000 a month
    caller = caller_for(cast.tenant, cast.member.user)

    last, refused = record_api_call(caller), record_api_call(caller)

    assert (last.allowed, last.used, refused.allowed, refused.used) == (True, 1000, False, 1000)
    assert calls_used(cast.tenant) == 1000
    assert history(cast) == {history_key(caller): 1}


def test_the_first_call_of_a_month_creates_its_row(cast):
    caller = caller_for(cast.tenant, cast.member.user)

    result = record_api_call(caller)

    assert result.allowed and result.used == 1
    row = UsageCounter.objects.get(tenant=cast.tenant)
    assert (row.period_start, row.api_calls) == (current_period().start, 1)


def make_api_key(cast: Any) -> Any:
    return ApiKey.objects.create(tenant=cast.tenant, name="ci", prefix="dialects").pk
