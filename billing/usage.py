"""Metered API calls: one exact, durable counter per tenant per calendar month (UTC).

The counter lives in PostgreSQL (`UsageCounter`), not Redis: a flush or restart loses no
count, and every worker sees the same figure. Spending a call is a single conditional
UPDATE, so concurrent requests can never push the count past the limit nor lose an
increment; a request refused for quota does not count.

What counts: every request to the product API (`/api/lattices...`) that passed
authentication, role checks and the suspension check, whatever its outcome afterwards
(a 400 or 404 still used the API). Requests refused with 401/403/402, or 429 for quota,
do not count.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from billing.limits import plan_limit, tenant_plan, upgrade_suggestion
from billing.models import UsageCounter
from catalytic.api_errors import ApiError
from catalytic.timestamps import iso_utc


@dataclass(frozen=True)
class Period:
    """A calendar month in UTC: `start` inclusive, `end` exclusive (the day it resets)."""

    start: date
    end: date

    @property
    def resets_at(self) -> datetime:
        return datetime.combine(self.end, time.min, tzinfo=UTC)

    def seconds_left(self, now: datetime) -> int:
        return max(1, math.ceil((self.resets_at - now).total_seconds()))


def current_period(now: datetime | None = None) -> Period:
    now = (now or timezone.now()).astimezone(UTC)
    start = date(now.year, now.month, 1)
    end = date(now.year + 1, 1, 1) if now.month == 12 else date(now.year, now.month + 1, 1)
    return Period(start, end)


@dataclass(frozen=True)
class UsageResult:
    allowed: bool
    used: int
    limit: int | None
    plan: str
    period: Period
    retry_after: int  # seconds until the period ends

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)


@functools.cache
def _increment_statement(vendor: str, limited: bool) -> tuple[str, bool]:
    """The conditional UPDATE for this database, and whether it returns the new count."""
    conn = connections[DEFAULT_DB_ALIAS]
    qn = conn.ops.quote_name
    meta = UsageCounter._meta
    calls = qn(meta.get_field("api_calls").column)
    # Identifiers come from the model's metadata, never from input; values are parameters.
    table = qn(meta.db_table)
    updated_at = qn(meta.get_field("updated_at").column)
    tenant = qn(meta.get_field("tenant").column)
    period = qn(meta.get_field("period_start").column)
    sql = f"UPDATE {table} SET {calls} = {calls} + 1, {updated_at} = %s "  # noqa: S608
    sql += f"WHERE {tenant} = %s AND {period} = %s"
    if limited:
        sql += f" AND {calls} < %s"
    returning = vendor == "postgresql"
    if vendor == "sqlite":
        import sqlite3

        returning = sqlite3.sqlite_version_info >= (3, 35)
    if returning:
        sql += f" RETURNING {calls}"
    return sql, returning


def _try_increment(tenant_id: Any, period: Period, limit: int | None, now: datetime) -> int | None:
    """Spend one call if the row exists and is under the limit; the new count, else None."""
    # One lookup through the context-local `connection` proxy: this runs on every call.
    conn = connections[DEFAULT_DB_ALIAS]
    meta = UsageCounter._meta
    params: list[Any] = [
        meta.get_field("updated_at").get_db_prep_value(now, conn),
        meta.get_field("tenant").get_db_prep_value(tenant_id, conn),
        meta.get_field("period_start").get_db_prep_value(period.start, conn),
    ]
    if limit is not None:
        params.append(limit)
    sql, returning = _increment_statement(conn.vendor, limit is not None)
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        if returning:
            row = cursor.fetchone()
            return int(row[0]) if row else None
        if cursor.rowcount != 1:
            return None
    # Without RETURNING the figure read back may include concurrent calls; the count is exact.
    return _calls_in(tenant_id, period)


def _calls_in(tenant_id: Any, period: Period) -> int:
    used = (
        UsageCounter.objects.filter(tenant_id=tenant_id, period_start=period.start)
        .values_list("api_calls", flat=True)
        .first()
    )
    return int(used or 0)


def record_api_call(tenant: Any, *, now: datetime | None = None) -> UsageResult:
    """Spend one API call of the tenant's monthly quota, or report that none is left."""
    now = now or timezone.now()
    period = current_period(now)
    limit = plan_limit(tenant, "api_calls_per_month")
    plan = tenant_plan(tenant).code
    retry_after = period.seconds_left(now)

    def result(allowed: bool, used: int) -> UsageResult:
        return UsageResult(allowed, used, limit, plan, period, retry_after)

    if limit is not None and limit <= 0:
        return result(False, _calls_in(tenant.pk, period))
    used = _try_increment(tenant.pk, period, limit, now)
    if used is None:
        # First call of the month (no row yet) or quota spent. Creating the row is
        # race-safe: a concurrent creator's row wins and ours is silently skipped.
        UsageCounter.objects.bulk_create(
            [UsageCounter(tenant_id=tenant.pk, period_start=period.start, api_calls=0)],
            ignore_conflicts=True,
        )
        used = _try_increment(tenant.pk, period, limit, now)
    if used is None:
        return result(False, _calls_in(tenant.pk, period))
    return result(True, used)


def api_calls_used(tenant: Any, *, now: datetime | None = None) -> int:
    return _calls_in(tenant.pk, current_period(now))


def quota_exceeded_error(tenant: Any, usage: UsageResult) -> ApiError:
    """The 429 for a tenant whose monthly calls are spent: when it resets, what to buy."""
    plan = tenant_plan(tenant)
    return ApiError(
        f"The {plan.name} plan includes {usage.limit} API calls a month and all have been "
        f"used; the quota resets on {usage.period.end.isoformat()} (UTC).",
        code="quota_exceeded",
        status_code=429,
        details={
            "used": usage.used,
            "allowed": usage.limit,
            "period_start": usage.period.start.isoformat(),
            "period_end": usage.period.end.isoformat(),
        },
        extra={
            "limit": "api_calls_per_month",
            "plan": plan.code,
            "upgrade_to": upgrade_suggestion(tenant, "api_calls_per_month", (usage.limit or 0) + 1),
        },
        headers={"Retry-After": str(usage.retry_after)},
    )


def usage_summary(tenant: Any, *, now: datetime | None = None) -> dict[str, Any]:
    """This month's figures, as shown by `/api/tenants/usage` and the subscription status."""
    period = current_period(now)
    calls, lattices = _usage_figures(tenant.pk, period)
    return {
        "plan": tenant_plan(tenant).code,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "resets_at": iso_utc(period.resets_at),
        "api_calls": {"used": calls, "limit": plan_limit(tenant, "api_calls_per_month")},
        "lattices": {"used": lattices, "limit": plan_limit(tenant, "max_lattices")},
    }


def _usage_figures(tenant_id: Any, period: Period) -> tuple[int, int]:
    """API calls this period and lattices stored, in one query (both pages and the API
    show them together; two ORM queries cost twice the round trips and compiles)."""
    conn = connections[DEFAULT_DB_ALIAS]
    fields = UsageCounter._meta
    tenant_param = fields.get_field("tenant").get_db_prep_value(tenant_id, conn)
    start_param = fields.get_field("period_start").get_db_prep_value(period.start, conn)
    with conn.cursor() as cursor:
        cursor.execute(_usage_statement(conn.vendor), [tenant_param, start_param, tenant_param])
        used, stored = cursor.fetchone()
    return int(used or 0), int(stored or 0)


@functools.cache
def _usage_statement(vendor: str) -> str:
    """_usage_figures' SELECT for this database, built once like the metering UPDATE."""
    from lattices.models import Lattice  # the product app depends on billing, not vice versa

    qn = connections[DEFAULT_DB_ALIAS].ops.quote_name
    counter, lattice = UsageCounter._meta, Lattice._meta
    calls = qn(counter.get_field("api_calls").column)
    counter_tenant = qn(counter.get_field("tenant").column)
    period_start = qn(counter.get_field("period_start").column)
    lattice_tenant = qn(lattice.get_field("tenant").column)
    # Identifiers come from the models' metadata, never from input; values are parameters.
    return (
        f"SELECT (SELECT {calls} FROM {qn(counter.db_table)} "  # noqa: S608
        f"WHERE {counter_tenant} = %s AND {period_start} = %s), "
        f"(SELECT COUNT(*) FROM {qn(lattice.db_table)} WHERE {lattice_tenant} = %s)"
    )
