"""The usage history as customers read it: one entry per day, and who spent the calls.

Names are read through the history's foreign keys when shown, not stored with the
counts: a renamed key shows its current name, and a deleted account leaves its counts
(under "Deleted account") but not its email address behind.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from billing.models import DailyUsage

MAX_DAYS = 366
MEMBER, API_KEY = "member", "api_key"


@dataclass(frozen=True)
class CallerCalls:
    """One caller's calls: a member (by user) or an API key."""

    kind: str  # MEMBER or API_KEY
    id: str  # the user's or key's UUID
    name: str | None  # email or key name; None once the account or key is deleted
    calls: int

    @property
    def label(self) -> str:
        if self.name:
            return self.name if self.kind == MEMBER else f"API key “{self.name}”"
        return "Deleted account" if self.kind == MEMBER else "Deleted API key"


@dataclass(frozen=True)
class DayUsage:
    day: date
    calls: int
    callers: tuple[CallerCalls, ...]  # most calls first
    website_calls: int = 0  # of `calls`, those made from the website's pages

    def of_kind(self, kind: str) -> list[CallerCalls]:
        return [caller for caller in self.callers if caller.kind == kind]


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def _ranked(callers: list[CallerCalls]) -> tuple[CallerCalls, ...]:
    return tuple(sorted(callers, key=lambda caller: (-caller.calls, caller.label, caller.id)))


def usage_history(tenant: Any, start: date, end: date) -> list[DayUsage]:
    """Every day from `start` to `end` (inclusive), days without calls included."""
    rows = (
        DailyUsage.objects.for_tenant(tenant)
        .filter(day__gte=start, day__lte=end)
        .values_list("day", "who", "calls", "user__email", "api_key__name")
    )
    by_day: dict[date, list[CallerCalls]] = defaultdict(list)
    website: dict[date, int] = defaultdict(int)
    for day, who, calls, email, key_name in rows:
        prefix, _, ident = who.partition(":")
        kind = API_KEY if prefix == "key" else MEMBER
        by_day[day].append(CallerCalls(kind, ident, key_name if kind == API_KEY else email, calls))
        if prefix == "web":
            website[day] += calls
    return [
        DayUsage(
            day,
            sum(caller.calls for caller in by_day[day]),
            _ranked(_merged(by_day[day])),
            website[day],
        )
        for day in days_between(start, end)
    ]


def _merged(callers: list[CallerCalls]) -> list[CallerCalls]:
    """One entry per member, whether the calls came from the API or the website."""
    totals: dict[tuple[str, str], CallerCalls] = {}
    for caller in callers:
        key = (caller.kind, caller.id)
        if key in totals:
            caller = CallerCalls(
                caller.kind, caller.id, caller.name, totals[key].calls + caller.calls
            )
        totals[key] = caller
    return list(totals.values())


def top_callers(days: list[DayUsage], count: int | None = None) -> list[CallerCalls]:
    """Each caller's calls over `days`, most first."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    names: dict[tuple[str, str], str | None] = {}
    for day in days:
        for caller in day.callers:
            totals[caller.kind, caller.id] += caller.calls
            names[caller.kind, caller.id] = caller.name
    ranked = _ranked([CallerCalls(k, i, names[k, i], calls) for (k, i), calls in totals.items()])
    return list(ranked[:count] if count is not None else ranked)
