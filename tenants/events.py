"""What happened in a workspace that its own systems may want to hear about.

The services call `emit(tenant, "member.added", {...})` inside the transaction of the
change; the webhooks app (above this one, which never imports it) receives the signal
and stores the event for each subscribed endpoint in that same transaction, so an event
exists exactly when its change committed. With no receiver, emitting does nothing.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal

USAGE_THRESHOLD = "usage.threshold"
SUBSCRIPTION_UPDATED = "subscription.updated"
MEMBER_ADDED = "member.added"
MEMBER_REMOVED = "member.removed"
API_KEY_CREATED = "api_key.created"
API_KEY_REVOKED = "api_key.revoked"
WORKSPACE_CLOSING = "workspace.closing"
PING = "ping"

# The types an endpoint may subscribe to (`ping` is sent on request, to one endpoint).
EVENT_TYPES = (
    USAGE_THRESHOLD,
    SUBSCRIPTION_UPDATED,
    MEMBER_ADDED,
    MEMBER_REMOVED,
    API_KEY_CREATED,
    API_KEY_REVOKED,
    WORKSPACE_CLOSING,
)

# Sent with `tenant`, `event_type` and `data` (JSON-ready); a receiver that raises rolls
# the change back, as the email outbox's do.
event_occurred = Signal()


def emit(tenant: Any, event_type: str, data: dict[str, Any]) -> None:
    """Record that `event_type` happened in `tenant`; call it inside the change's transaction."""
    event_occurred.send(sender=emit, tenant=tenant, event_type=event_type, data=data)


def member_data(membership: Any, *, email: str | None = None) -> dict[str, Any]:
    """A membership as events show it (`email` when the user row is already gone)."""
    return {
        "id": str(membership.pk),
        "email": email or membership.user.email,
        "role": membership.role,
    }


def api_key_data(api_key: Any) -> dict[str, Any]:
    """An API key as events show it: never the key or its hash."""
    return {
        "id": str(api_key.pk),
        "name": api_key.name,
        "prefix": api_key.prefix,
        "scope": api_key.scope,
    }
