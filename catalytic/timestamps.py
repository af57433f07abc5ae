"""Timestamps as the API renders them: ISO 8601 in UTC with a Z."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_utc(value: datetime | None) -> str | None:
    """What DRF's DateTimeField renders under TIME_ZONE = "UTC" (nothing activates another
    zone), without its per-call lookup of the current time zone."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
