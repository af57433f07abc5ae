"""This month's usage as the dashboard and the billing page show it: a chart of the
days, who used the calls, and the warning a customer sees before the quota runs out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.utils import timezone

from billing.charts import UsageChart, usage_chart
from billing.history import API_KEY, MEMBER, CallerCalls, DayUsage, top_callers, usage_history
from billing.limits import plan_limit
from billing.usage import api_calls_used, current_period
from billing.usage_warnings import warning_level

TOP_CALLERS = 5


@dataclass(frozen=True)
class MonthUsage:
    chart: UsageChart
    days: list[DayUsage]
    top_members: list[CallerCalls]
    top_keys: list[CallerCalls]
    used: int
    limit: int | None
    warning: int | None  # the threshold reached (80, 100), if any
    resets_on: date
    website_calls: int = 0  # of `used`, calls made from the website's pages

    @property
    def api_calls(self) -> int:
        """Of `used`, calls made through the API (with a token or an API key)."""
        return self.used - self.website_calls


def month_usage(tenant: Any, *, now: datetime | None = None) -> MonthUsage:
    now = (now or timezone.now()).astimezone(UTC)
    period = current_period(now)
    days = usage_history(tenant, period.start, now.date())
    limit = plan_limit(tenant, "api_calls_per_month")
    used = api_calls_used(tenant, now=now)
    chart = usage_chart(
        {day.day: day.calls for day in days},
        start=period.start,
        end=period.end,
        today=now.date(),
        limit=limit,
        # The counter and the history are written together; only calls counted before
        # the history existed are in the counter alone.
        earlier=max(0, used - sum(day.calls for day in days)),
    )
    callers = top_callers(days)
    return MonthUsage(
        chart=chart,
        days=days,
        top_members=[caller for caller in callers if caller.kind == MEMBER][:TOP_CALLERS],
        top_keys=[caller for caller in callers if caller.kind == API_KEY][:TOP_CALLERS],
        used=used,
        limit=limit,
        warning=warning_level(used, limit),
        resets_on=period.end,
        website_calls=sum(day.website_calls for day in days),
    )
