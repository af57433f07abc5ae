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

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from billing.limits import plan_limit, tenant_plan, upgrade_suggestion
from billing.models import DailyUsage, UsageCounter
from billing.usage_warnings import thresholds_crossed, warn_once
from catalytic.api_errors import ApiError
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


@dataclass(frozen=True)
class Caller:
    """Who spent a call: a person (JWT or page session) or a program (API key).

    A call made with an API key is the key's, not its creator's: keys belong to the
    tenant and outlive the person who made them.
    """

    user_id: Any = None
    api_key_id: Any = None
    # A person's call from the website's pages rather than through the API.
    website: bool = False

    def __post_init__(self) -> None:
        if (self.user_id is None) == (self.api_key_id is None):
            raise ValueError("a call is made by exactly one user or one API key")

    @classmethod
    def of(cls, *, user: Any, api_key_id: Any = None, website: bool = False) -> Caller:
        if api_key_id is not None:
            return cls(api_key_id=api_key_id)
        return cls(user_id=user.pk, website=website)

    @classmethod
    def of_context(cls, context: AuthContext) -> Caller:
        """The caller of an API request, without loading its User row."""
        if context.api_key_id is not None:
            return cls(api_key_id=context.api_key_id)
        return cls(user_id=context.user_id)

    @property
    def who(self) -> str:
        """The history's key: `key:<id>`, `user:<id>` (API) or `web:<id>` (website)."""
        if self.api_key_id is not None:
            return f"key:{self.api_key_id}"
        return f"{'web' if self.website else 'user'}:{self.user_id}"


@functools.cache  # built from the models' metadata, which never changes in a process
def spend_statement(*, limited: bool) -> str:
    """The one SQL statement (PostgreSQL) that spends a call and records it in the history.

    The UPDATE's condition (`api_calls < limit`) is re-checked by PostgreSQL after
    waiting for a concurrent writer's row lock, so concurrent calls never pass the
    limit; the history row is written only when the UPDATE spent one, in the same
    statement and so the same transaction, so the days always add up to the month.
    A data-modifying CTE runs to completion even though the final SELECT does not
    read it.
    """
    counter, daily = UsageCounter._meta, DailyUsage._meta

    def column(meta: Any, name: str) -> str:
        return meta.get_field(name).column

    def parameter(name: str) -> str:
        # A parameter in a SELECT list has no column to take its type from.
        return f"CAST(%({name})s AS {daily.get_field(name).db_type(connection)})"

    calls = column(counter, "api_calls")
    history_calls = column(daily, "calls")
    keyed = ("tenant", "day", "who")
    inserted = (*keyed, "user", "api_key")
    under_limit = f" AND {calls} < %(limit)s" if limited else ""
    # SECURITY: only identifiers from the models' metadata are formatted in; every
    # value is a bound parameter.
    return (
        f"WITH spent AS ("  # noqa: S608
        f"UPDATE {counter.db_table} SET {calls} = {calls} + 1, "
        f"{column(counter, 'updated_at')} = %(now)s "
        f"WHERE {column(counter, 'tenant')} = %(tenant)s "
        f"AND {column(counter, 'period_start')} = %(period)s{under_limit} "
        f"RETURNING {calls}), "
        f"history AS ("
        f"INSERT INTO {daily.db_table} "
        f"({', '.join(column(daily, name) for name in inserted)}, {history_calls}) "
        f"SELECT {', '.join(parameter(name) for name in inserted)}, 1 FROM spent "
        f"ON CONFLICT ({', '.join(column(daily, name) for name in keyed)}) "
        f"DO UPDATE SET {history_calls} = {daily.db_table}.{history_calls} + 1) "
        f"SELECT {calls} FROM spent"
    )


def _try_increment(
    tenant_id: Any, period: Period, limit: int | None, now: datetime, caller: Caller
) -> int | None:
    """Spend one call if the row exists and is under the limit; the new count, else None."""
    day = now.astimezone(UTC).date()
    if connection.vendor == "postgresql":
        params = {
            "tenant": tenant_id,
            "period": period.start,
            "limit": limit,
            "now": now,
            "day": day,
            "who": caller.who,
            "user": caller.user_id,
            "api_key": caller.api_key_id,
        }
        with connection.cursor() as cursor:
            cursor.execute(spend_statement(limited=limit is not None), params)
            row = cursor.fetchone()
        return None if row is None else int(row[0])
    return _try_increment_portably(tenant_id, period, limit, now, day, caller)


def _try_increment_portably(
    tenant_id: Any, period: Period, limit: int | None, now: datetime, day: date, caller: Caller
) -> int | None:
    """The same through the ORM (SQLite): several statements in one transaction."""
    counter = UsageCounter.objects.filter(tenant_id=tenant_id, period_start=period.start)
    if limit is not None:
        counter = counter.filter(api_calls__lt=limit)
    with transaction.atomic():
        # A conditional UPDATE: concurrent calls queue on the row and none passes the limit.
        if counter.update(api_calls=F("api_calls") + 1, updated_at=now) != 1:
            return None
        # The row stays locked until this transaction ends, so no other call has spent
        # one since: the figure read is this call's own.
        used = _calls_in(tenant_id, period)
        history = DailyUsage.objects.filter(tenant_id=tenant_id, day=day, who=caller.who)
        if history.update(calls=F("calls") + 1) != 1:
            DailyUsage.objects.bulk_create(
                [
                    DailyUsage(
                        tenant_id=tenant_id,
                        day=day,
                        who=caller.who,
                        user_id=caller.user_id,
                        api_key_id=caller.api_key_id,
                        calls=0,
                    )
                ],
                ignore_conflicts=True,
            )
            history.update(calls=F("calls") + 1)
        return used


def _calls_in(tenant_id: Any, period: Period) -> int:
    used = (
        UsageCounter.objects.filter(tenant_id=tenant_id, period_start=period.start)
        .values_list("api_calls", flat=True)
        .first()
    )
    return int(used or 0)


def _tenant_id(tenant: Any) -> Any:
    return tenant.tenant_id if isinstance(tenant, AuthContext) else tenant.pk


def record_api_call(tenant: Any, *, caller: Caller, now: datetime | None = None) -> UsageResult:
    """Spend one API call of the tenant's monthly quota, or report that none is left.

    `tenant` is a Tenant, or an API request's AuthContext (its plan came with the caller,
    so spending costs the one statement). The call is recorded in the day's history under
    `caller`, and the call that reaches a warning threshold (80 %, 100 %) queues the
    owners' and admins' email.
    """
    tenant_id = _tenant_id(tenant)
    now = now or timezone.now()
    period = current_period(now)
    limit = plan_limit(tenant, "api_calls_per_month")
    plan = tenant_plan(tenant).code
    retry_after = period.seconds_left(now)

    def result(allowed: bool, used: int) -> UsageResult:
        return UsageResult(allowed, used, limit, plan, period, retry_after)

    if limit is not None and limit <= 0:
        return result(False, _calls_in(tenant_id, period))
    used = _try_increment(tenant_id, period, limit, now, caller)
    if used is None:
        # First call of the month (no row yet) or quota spent. Creating the row is
        # race-safe: a concurrent creator's row wins and ours is silently skipped.
        UsageCounter.objects.bulk_create(
            [UsageCounter(tenant_id=tenant_id, period_start=period.start, api_calls=0)],
            ignore_conflicts=True,
        )
        used = _try_increment(tenant_id, period, limit, now, caller)
    if used is None:
        return result(False, _calls_in(tenant_id, period))
    # Arithmetic on the count just returned: calls that cross no threshold pay nothing.
    crossed = thresholds_crossed(used, limit)
    if crossed:
        warn_once(
            tenant.tenant if isinstance(tenant, AuthContext) else tenant,
            period_start=period.start,
            resets_on=period.end,
            used=used,
            limit=limit,
            thresholds=crossed,
        )
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


# How many of a plan-limited resource a tenant stores, counted by the app that owns the
# resource: billing sits below the product in the layers and cannot import its models.
_stored_counters: dict[str, Callable[[Any], int]] = {}


def register_stored_count(limit: str, counter: Callable[[Any], int]) -> None:
    """Declare how to count what plan limit `limit` (say "max_lattices") caps for a tenant.

    The owning app calls this from its AppConfig.ready().
    """
    _stored_counters[limit] = counter


def stored_count(tenant: Any, limit: str) -> int:
    try:
        counter = _stored_counters[limit]
    except KeyError:
        raise ImproperlyConfigured(f"no app registered a stored count for {limit!r}") from None
    return counter(tenant)


def usage_summary(tenant: Any, *, now: datetime | None = None) -> dict[str, Any]:
    """This month's figures, as shown by `/api/tenants/usage` and the subscription status."""
    period = current_period(now)
    return {
        "plan": tenant_plan(tenant).code,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "resets_at": iso_utc(period.resets_at),
        "api_calls": {
            "used": _calls_in(tenant.pk, period),
            "limit": plan_limit(tenant, "api_calls_per_month"),
        },
        "lattices": {
            "used": stored_count(tenant, "max_lattices"),
            "limit": plan_limit(tenant, "max_lattices"),
        },
    }
