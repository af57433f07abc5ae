"""Recipient addresses: their one normal form, and the suppression list they are checked against.

Both the outbox (when a message is stored) and delivery (when it is sent) consult the
suppression list, so it lives below them both.
"""

from __future__ import annotations

from notifications.models import Suppression


def normalize_address(address: str) -> str:
    return address.strip().lower()


def suppression_for(address: str) -> Suppression | None:
    return Suppression.objects.filter(email=normalize_address(address)).first()


def suppressed_reason(suppression: Suppression) -> str:
    when = suppression.created_at.strftime("%Y-%m-%d %H:%M UTC")
    detail = f": {suppression.detail}" if suppression.detail else ""
    return f"Not sent: {suppression.email} is suppressed ({suppression.reason} {when}){detail}"
