"""Metered API calls: one exact, durable counter per tenant per calendar month (UTC).

The counter lives in PostgreSQL (`UsageCounter`), not Redis: a flush or restart loses no
count, and every worker sees the same figure. Spending a call is a conditional UPDATE,
so concurrent requests can never push the count past the limit nor lose an increment; a
request refused for quota does not count. The same statement adds the call to the day's
history (`DailyUsage`, per member or API key), so the days of a month always add up to
its counter, and returns the new count, from which the call that reaches 80 % or 100 %
of the quota knows to send the warning.

What counts: every request to the product API (`/api/lattices...`) that passed
authentication, role checks and the suspension check, whatever its outcome afterwards
(a 400 or 404 still used the API). Requests refused with 401/403/402, or 429 for quota,
do not count.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from billing.limits import plan_limit, tenant_plan, upgrade_suggestion
from billing.models import DailyUsage, UsageCounter
from billing.usage_warnings import thresholds_crossed, warn_once
from catalytic.errors import ServiceError
from catalytic.timestamps import iso_utc
from tenants.context import AuthContext


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


def history_key(caller: AuthContext) -> str:
    """The history's key of a caller: `key:<id>` (an API key: keys belong to the tenant
    and outlive the person who made them), `web:<id>` (a person on the website's pages)
    or `user:<id>` (a person through the API)."""
    if caller.via_api_key:
        return f"key:{caller.api_key_id}"
    return f"{'web' if caller.method == 'session' else 'user'}:{caller.user_id}"


@functools.cache  # built from the models' metadata, which never changes in a process
def spend_statements(vendor: str, *, limited: bool) -> tuple[str, ...]:
    """The SQL that spends a call and records it in the day's history, for `vendor`.

    The one place the dialects differ. Both run the same two parts: the conditional
    UPDATE of the month's counter (`api_calls < limit`, re-checked by the database after
    waiting for a concurrent writer's row lock, so concurrent calls never pass the
    limit) RETURNING the new count, and the upsert of the day's history row, which runs
    only when the UPDATE spent one, in the same transaction, so the days always add up
    to the month.

    PostgreSQL: ONE statement (the hot path's one round trip), the UPDATE as a
    data-modifying CTE that the upsert reads from (a CTE runs to completion even though
    the final SELECT does not read it). SQLite (>= 3.35: RETURNING and ON CONFLICT, but
    no UPDATE inside a CTE): the same two parts as two statements, the upsert run by
    `_spend` only when the first returned a row; SQLite's one writer at a time makes the
    pair atomic inside the transaction.
    """
    counter, daily = UsageCounter._meta, DailyUsage._meta
    postgresql = vendor == "postgresql"

    def column(meta: Any, name: str) -> str:
        return meta.get_field(name).column

    def parameter(name: str) -> str:
        if not postgresql:
            # SQLite's CAST to a declared type applies its affinity (a date would turn
            # into a number); its parameters need none.
            return f"%({name})s"
        # A parameter in a SELECT list has no column to take its type from.
        return f"CAST(%({name})s AS {daily.get_field(name).db_type(connection)})"

    calls = column(counter, "api_calls")
    history_calls = column(daily, "calls")
    keyed = ("tenant", "day", "who")
    inserted = (*keyed, "user", "api_key")
    under_limit = f" AND {calls} < %(limit)s" if limited else ""
    # SECURITY: only identifiers from the models' metadata are formatted in; every
    # value is a bound parameter.
    spend = (
        f"UPDATE {counter.db_table} SET {calls} = {calls} + 1, "  # noqa: S608
        f"{column(counter, 'updated_at')} = %(now)s "
        f"WHERE {column(counter, 'tenant')} = %(tenant)s "
        f"AND {column(counter, 'period_start')} = %(period)s{under_limit} "
        f"RETURNING {calls}"
    )
    # SQLite needs a WHERE before ON CONFLICT to parse an INSERT ... SELECT.
    source = "FROM spent" if postgresql else "WHERE true"
    record = (
        f"INSERT INTO {daily.db_table} "  # noqa: S608
        f"({', '.join(column(daily, name) for name in inserted)}, {history_calls}) "
        f"SELECT {', '.join(parameter(name) for name in inserted)}, 1 {source} "
        f"ON CONFLICT ({', '.join(column(daily, name) for name in keyed)}) "
        f"DO UPDATE SET {history_calls} = {daily.db_table}.{history_calls} + 1"
    )
    if postgresql:
        return (f"WITH spent AS ({spend}), history AS ({record}) SELECT {calls} FROM spent",)  # noqa: S608
    return spend, record


def _parameters(
    db: BaseDatabaseWrapper,
    tenant_id: Any,
    period: Period,
    limit: int | None,
    now: datetime,
    caller: AuthContext,
) -> dict[str, Any]:
    """The statements' values, prepared by their model fields for database `db`."""
    counter, daily = UsageCounter._meta, DailyUsage._meta

    def prep(meta: Any, name: str, value: Any) -> Any:
        return meta.get_field(name).get_db_prep_value(value, db)

    return {
        "tenant": prep(counter, "tenant", tenant_id),
        "period": prep(counter, "period_start", period.start),
        "limit": limit,
        "now": prep(counter, "updated_at", now),
        "day": prep(daily, "day", now.astimezone(UTC).date()),
        "who": history_key(caller),
        "user": prep(daily, "user", None if caller.via_api_key else caller.user_id),
        "api_key": prep(daily, "api_key", caller.api_key_id),
    }


def _spend(
    tenant_id: Any, period: Period, limit: int | None, now: datetime, caller: AuthContext
) -> int | None:
    """Spend one call if the month's row exists and is under the limit: the new count
    (this call's own, returned by the statement that spent it), else None."""
    # Resolved once: each use of the `connection` proxy looks the connection up again.
    db = connections[DEFAULT_DB_ALIAS]
    statements = spend_statements(db.vendor, limited=limit is not None)
    params = _parameters(db, tenant_id, period, limit, now, caller)
    # One statement is its own transaction (no BEGIN/COMMIT round trips on the hot path);
    # SQLite's pair shares one.
    atomic = transaction.atomic() if len(statements) > 1 else contextlib.nullcontext()
    with atomic, db.cursor() as cursor:
        cursor.execute(statements[0], params)
        row = cursor.fetchone()
        if row is not None:
            for statement in statements[1:]:  # SQLite's history upsert
                cursor.execute(statement, params)
    return None if row is None else int(row[0])


def _calls_in(tenant_id: Any, period: Period) -> int:
    used = (
        UsageCounter.objects.filter(tenant_id=tenant_id, period_start=period.start)
        .values_list("api_calls", flat=True)
        .first()
    )
    return int(used or 0)


def record_api_call(caller: AuthContext, *, now: datetime | None = None) -> UsageResult:
    """Spend one API call of the caller's tenant's monthly quota, or report that none is
    left.

    The plan comes with the caller (tenants.context), so spending costs the one statement
    on PostgreSQL. The call is recorded in the day's history under the caller, and the
    call that reaches a warning threshold (80 %, 100 %) queues the owners' and admins'
    email.
    """
    tenant_id = caller.tenant_id
    now = now or timezone.now()
    period = current_period(now)
    limit = plan_limit(caller, "api_calls_per_month")
    plan = tenant_plan(caller).code
    retry_after = period.seconds_left(now)

    def result(allowed: bool, used: int) -> UsageResult:
        return UsageResult(allowed, used, limit, plan, period, retry_after)

    if limit is not None and limit <= 0:
        return result(False, _calls_in(tenant_id, period))
    used = _spend(tenant_id, period, limit, now, caller)
    if used is None:
        # First call of the month (no row yet) or quota spent. Creating the row is
        # race-safe: a concurrent creator's row wins and ours is silently skipped.
        UsageCounter.objects.bulk_create(
            [UsageCounter(tenant_id=tenant_id, period_start=period.start, api_calls=0)],
            ignore_conflicts=True,
        )
        used = _spend(tenant_id, period, limit, now, caller)
    if used is None:
        return result(False, _calls_in(tenant_id, period))
    # Arithmetic on the count just returned: calls that cross no threshold pay nothing.
    crossed = thresholds_crossed(used, limit)
    if crossed:
        warn_once(
            caller.tenant,
            period_start=period.start,
            resets_on=period.end,
            used=used,
            limit=limit,
            thresholds=crossed,
        )
    return result(True, used)


def api_calls_used(tenant: Any, *, now: datetime | None = None) -> int:
    return _calls_in(tenant.pk, current_period(now))


class QuotaExceeded(ServiceError):
    """The tenant's monthly API calls are spent (429, with Retry-After)."""

    status = 429
    code = "quota_exceeded"


def quota_exceeded_error(caller: AuthContext, usage: UsageResult) -> QuotaExceeded:
    """The 429 for a tenant whose monthly calls are spent: when it resets, what to buy."""
    plan = tenant_plan(caller)
    return QuotaExceeded(
        f"The {plan.name} plan includes {usage.limit} API calls a month and all have been "
        f"used; the quota resets on {usage.period.end.isoformat()} (UTC).",
        details={
            "used": usage.used,
            "allowed": usage.limit,
            "period_start": usage.period.start.isoformat(),
            "period_end": usage.period.end.isoformat(),
        },
        extra={
            "limit": "api_calls_per_month",
            "plan": plan.code,
            "upgrade_to": upgrade_suggestion(caller, "api_calls_per_month", (usage.limit or 0) + 1),
        },
        headers={"Retry-After": str(usage.retry_after)},
    )


# How many of a plan-limited resource a tenant stores, counted by the app that owns the
# resource: billing sits below the product in the layers and cannot import its models.
_stored_counters: dict[str, Callable[[Any], int]] = {}


def register_stored_count(limit: str, counter: Callable[[Any], int]) -> None:
    """Declare how to count what plan limit `limit` (say "max_lattices") caps for a tenant;
    `counter` is given the tenant's id.

    The owning app calls this from its AppConfig.ready().
    """
    _stored_counters[limit] = counter


def stored_count(tenant_id: Any, limit: str) -> int:
    try:
        counter = _stored_counters[limit]
    except KeyError:
        raise ImproperlyConfigured(f"no app registered a stored count for {limit!r}") from None
    return counter(tenant_id)


def usage_summary(tenant: AuthContext | Any, *, now: datetime | None = None) -> dict[str, Any]:
    """This month's figures, as shown by `/api/tenants/usage` and the subscription status.

    `tenant` is a caller (its plan came with the credential check, so the API's usage
    read loads no Tenant row) or a Tenant row (the subscription status, the admin).
    """
    tenant_id = tenant.tenant_id if isinstance(tenant, AuthContext) else tenant.pk
    period = current_period(now)
    return {
        "plan": tenant_plan(tenant).code,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "resets_at": iso_utc(period.resets_at),
        "api_calls": {
            "used": _calls_in(tenant_id, period),
            "limit": plan_limit(tenant, "api_calls_per_month"),
        },
        "lattices": {
            "used": stored_count(tenant_id, "max_lattices"),
            "limit": plan_limit(tenant, "max_lattices"),
        },
    }
