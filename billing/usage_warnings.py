"""Warnings before the monthly calls run out: at 80 % and at 100 % of the plan's quota.

Every metered call learns its own count from the statement that spent it, and counts
grow one by one, so exactly one call of a period reaches each threshold: that call
records the warning and queues the email. The unique (tenant, period, threshold) row
keeps it at one even if a count is reached twice (a plan changed mid-month, say).
Unlimited plans have no threshold.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from billing.models import UsageWarning
from notifications.emails import send_usage_warning
from tenants import events

THRESHOLDS = (80, 100)


def threshold_calls(limit: int, percent: int) -> int:
    """The count at which `percent` of `limit` is used: ceil(limit × percent / 100)."""
    return max(1, -(-limit * percent // 100))


def thresholds_crossed(used: int, limit: int | None) -> list[int]:
    """The thresholds the call that brought the count to `used` reached."""
    if not limit:
        return []
    return [percent for percent in THRESHOLDS if used == threshold_calls(limit, percent)]


def warning_level(used: int, limit: int | None) -> int | None:
    """The highest threshold `used` has reached (what the dashboard's banner shows)."""
    if not limit:
        return None
    reached = [percent for percent in THRESHOLDS if used >= threshold_calls(limit, percent)]
    return reached[-1] if reached else None


def warn_once(
    tenant: Any,
    *,
    period_start: date,
    resets_on: date,
    used: int,
    limit: int,
    thresholds: list[int],
) -> None:
    """Record each threshold's warning for the period and email it, once per period."""
    for percent in thresholds:
        with transaction.atomic():
            _, created = UsageWarning.objects.get_or_create(
                tenant=tenant,
                period_start=period_start,
                threshold=percent,
                defaults={"used": used, "limit": limit},
            )
            if created:
                send_usage_warning(
                    tenant=tenant,
                    percent=percent,
                    used=used,
                    limit=limit,
                    resets_on=resets_on,
                    dedupe_key=f"usage-warning:{tenant.pk}:{period_start.isoformat()}:{percent}",
                )
                events.emit(
                    tenant,
                    events.USAGE_THRESHOLD,
                    {
                        "percent": percent,
                        "used": used,
                        "limit": limit,
                        "period_start": period_start.isoformat(),
                        "resets_on": resets_on.isoformat(),
                    },
                )
