"""Owners and admins are emailed when 80 % and 100 % of the month's calls are used: once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import UsageWarning
from billing.usage import current_period, record_api_call
from notifications.models import Kind, OutboxMessage
from tests.conftest import bearer_client
from tests.lattices.conftest import by, calls_used

pytestmark = pytest.mark.django_db

LATTICES = "/api/lattices"


def warnings_sent() -> list[tuple[str, str]]:
    return sorted(
        OutboxMessage.objects.filter(kind=Kind.USAGE_WARNING).values_list("to_email", "subject")
    )


def test_the_call_reaching_80_percent_emails_the_owners_and_admins(cast, set_calls_used):
    set_calls_used(cast.tenant, 798)
    client = bearer_client(cast.member)

    assert client.get(LATTICES).status_code == 200  # 799: nothing yet
    assert warnings_sent() == []
    assert client.get(LATTICES).status_code == 200  # 800
    client.get(LATTICES)  # 801: nothing more

    subject = "Acme Lattices has used 80% of its API calls for this month"
    assert warnings_sent() == [("admin@acme.example", subject), ("owner@acme.example", subject)]
    message = OutboxMessage.objects.get(kind=Kind.USAGE_WARNING, to_email="owner@acme.example")
    assert "800 of the 1,000 API calls" in message.text_body
    assert "200 are left" in message.text_body
    assert f"{settings.SITE_URL.rstrip('/')}/billing/" in message.text_body
    assert "/billing/" in message.html_body and "800 of the 1,000" in message.html_body
    assert message.tenant_id == cast.tenant.pk


def test_the_last_call_of_the_quota_sends_the_100_percent_warning_once(cast, set_calls_used):
    set_calls_used(cast.tenant, 999)
    client = bearer_client(cast.member)

    assert client.get(LATTICES).status_code == 200  # the 1,000th
    assert client.get(LATTICES).status_code == 429
    assert client.get(LATTICES).status_code == 429

    subject = "Acme Lattices has used all its API calls for this month"
    assert warnings_sent() == [("admin@acme.example", subject), ("owner@acme.example", subject)]
    body = OutboxMessage.objects.filter(kind=Kind.USAGE_WARNING).first().text_body
    assert "refused with 429" in body
    assert current_period().end.strftime("%B") in body
    assert UsageWarning.objects.for_tenant(cast.tenant).get().threshold == 100


def test_members_and_viewers_are_not_emailed(cast, set_calls_used):
    set_calls_used(cast.tenant, 799)

    record_api_call(by(cast))

    recipients = {to for to, _ in warnings_sent()}
    assert recipients == {"owner@acme.example", "admin@acme.example"}


def test_each_threshold_is_sent_once_per_period(cast, set_calls_used):
    set_calls_used(cast.tenant, 799)
    record_api_call(by(cast))
    # The count reaches 800 again (the counter was corrected, say): no second email.
    set_calls_used(cast.tenant, 799)
    record_api_call(by(cast))

    assert len(warnings_sent()) == 2  # the owner's and the admin's, once

    # Next month is a new period.
    may = datetime(2031, 5, 20, tzinfo=UTC)
    for _ in range(800):
        record_api_call(by(cast), now=may)
    assert len(warnings_sent()) == 4
    assert UsageWarning.objects.for_tenant(cast.tenant).count() == 2


def test_an_unlimited_plan_is_never_warned(cast, set_calls_used, set_plan):
    set_plan(cast.tenant, "enterprise")
    set_calls_used(cast.tenant, 10**6 - 1)

    record_api_call(by(cast))

    assert warnings_sent() == []
    assert not UsageWarning.objects.exists()


def metering_statements(call: Any) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        call()
    control = ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT")
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(control)]


def test_a_call_that_crosses_no_threshold_costs_no_extra_query(cast, set_calls_used):
    set_calls_used(cast.tenant, 500)
    record_api_call(by(cast))  # the day's history row exists now

    statements = metering_statements(lambda: record_api_call(by(cast)))

    assert len(statements) == (1 if connection.vendor == "postgresql" else 2)
    assert not any("usagewarning" in sql or "outbox" in sql for sql in statements)


@pytest.mark.postgres
def test_on_postgresql_a_metered_call_is_one_statement_even_the_days_first(cast, set_calls_used):
    set_calls_used(cast.tenant, 10)  # the month's row exists; today's history row does not

    statements = metering_statements(lambda: record_api_call(by(cast)))

    assert len(statements) == 1
    assert statements[0].startswith("WITH spent AS (UPDATE billing_usagecounter")
    assert "INSERT INTO billing_dailyusage" in statements[0]
    assert calls_used(cast.tenant) == 11
