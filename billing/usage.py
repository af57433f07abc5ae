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

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F
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


def _try_increment(tenant_id: Any, period: Period, limit: int | None, now: datetime) -> int | None:
    """Spend one call if the row exists and is under the limit; the new count, else None."""
    counter = UsageCounter.objects.filter(tenant_id=tenant_id, period_start=period.start)
    if limit is not None:
        counter = counter.filter(api_calls__lt=limit)
    with transaction.atomic():
        # A conditional UPDATE: concurrent calls queue on the row and none passes the limit.
        if counter.update(api_calls=F("api_calls") + 1, updated_at=now) != 1:
            return None
        # The row stays locked until this transaction ends, so no other call has spent
        # one since: the figure read is this call's own.
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
