"""Provider tracking events → message status, and bounced/complained → suppression."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from anymail.signals import AnymailTrackingEvent, EventType
from django.db import transaction

from catalytic.metrics import WEBHOOK_EVENTS
from notifications.addresses import normalize_address
from notifications.models import OutboxMessage, Suppression

logger = logging.getLogger(__name__)

Status = OutboxMessage.Status

STATUS_FOR_EVENT = {
    EventType.DELIVERED: Status.DELIVERED,
    EventType.BOUNCED: Status.BOUNCED,
    EventType.COMPLAINED: Status.COMPLAINED,
    # Refused by the provider before sending (its own suppression list, say).
    EventType.REJECTED: Status.FAILED,
}
# Events arrive out of order and repeat: a status only moves forward. A bounce may
# follow "delivered" (asynchronous bounce); "delivered" never undoes a bounce.
_RANK = {
    Status.QUEUED: 0,
    Status.SENDING: 0,
    Status.SENT: 1,
    Status.FAILED: 1,
    Status.DELIVERED: 2,
    Status.BOUNCED: 3,
    Status.COMPLAINED: 4,
}
SUPPRESS_FOR = {
    Status.BOUNCED: Suppression.Reason.BOUNCED,
    Status.COMPLAINED: Suppression.Reason.COMPLAINED,
}
PROVIDER_FOR_ESP = {"SendGrid": "sendgrid", "Amazon SES": "amazon_ses"}


def handle_tracking_event(
    sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any
) -> None:
    """Receiver for anymail.signals.tracking (connected in NotificationsConfig.ready)."""
    status = STATUS_FOR_EVENT.get(event.event_type)
    provider = PROVIDER_FOR_ESP.get(esp_name, esp_name.lower())
    if status is None:
        WEBHOOK_EVENTS.labels(provider, str(event.event_type), "ignored").inc()
        return  # opens, clicks, deferrals: nothing to record
    detail = _detail(event)
    with transaction.atomic():
        message = _find_message(event, provider)
        WEBHOOK_EVENTS.labels(
            provider, str(event.event_type), "unknown_message" if message is None else "recorded"
        ).inc()
        if message is None:
            logger.info("%s %s event for an unknown message %r", esp_name, status, event.message_id)
        elif _RANK[status] > _RANK[message.status] and not (
            status == Status.FAILED and _RANK[message.status] > _RANK[Status.SENT]
        ):
            message.status = status
            if status != Status.DELIVERED:
                message.last_error = detail
            message.save(update_fields=["status", "last_error", "updated_at"])
        address = event.recipient or (message.to_email if message else "")
        if status in SUPPRESS_FOR and address:
            suppress(
                address,
                reason=SUPPRESS_FOR[status],
                detail=detail,
                provider=provider,
                message=message,
            )


def suppress(
    address: str,
    *,
    reason: str,
    detail: str = "",
    provider: str = "",
    message: OutboxMessage | None = None,
) -> Suppression:
    suppression, created = Suppression.objects.get_or_create(
        email=normalize_address(address),
        defaults={"reason": reason, "detail": detail, "provider": provider, "message": message},
    )
    if not created and reason == Suppression.Reason.COMPLAINED != suppression.reason:
        # A complaint outranks a bounce: it is the recipient saying "stop".
        suppression.reason = reason
        suppression.detail = detail
        suppression.save(update_fields=["reason", "detail"])
    return suppression


def _find_message(event: AnymailTrackingEvent, provider: str) -> OutboxMessage | None:
    messages = OutboxMessage.objects.select_for_update()
    if event.message_id:
        found = messages.filter(provider=provider, provider_message_id=event.message_id).first()
        if found is not None:
            return found
    # The id we attached as metadata at send time, in case the event overtook our save.
    outbox_id = (event.metadata or {}).get("outbox_id")
    try:
        pk = uuid.UUID(str(outbox_id))
    except ValueError:
        return None
    found = messages.filter(pk=pk).first()
    if (
        found is not None
        and event.recipient
        and (normalize_address(event.recipient) != found.to_email)
    ):
        return None
    return found


def _detail(event: AnymailTrackingEvent) -> str:
    parts = [event.description, event.mta_response, event.reject_reason]
    return " | ".join(str(part) for part in parts if part)[:2000]
