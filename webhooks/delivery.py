"""Deliver webhook events: claim due deliveries, POST each, record the outcome.

Deliveries are claimed as the email outbox's are (notifications.claims: a lease, SKIP
LOCKED, a compare-and-set), so several `deliver_webhooks` workers may run at once and
no attempt is made twice. The HTTP call happens outside any transaction. A failed
delivery is retried with exponential backoff until WEBHOOK_RETRY_DAYS after its event;
an endpoint that has failed without a single success for that long is disabled and
its owners and admins are emailed.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils import timezone

from catalytic.metrics import WEBHOOK_DELIVERIES, WEBHOOK_DELIVERY_DEPTH
from notifications import claims
from notifications.emails import send_notice, team_admin_recipients
from webhooks import sending
from webhooks.models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status
DUE_STATUSES = (Status.QUEUED, Status.SENDING)
# Longer than one attempt can take (resolve + the 5 s timeout): a `sending` row whose
# lease lapsed belongs to a worker that died, and is tried again.
LEASE = timedelta(minutes=2)


@dataclass
class DeliveryStats:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def processed(self) -> int:
        return self.delivered + self.retrying + self.failed

    def add(self, status: str) -> None:
        if status == Status.DELIVERED:
            self.delivered += 1
        elif status == Status.QUEUED:
            self.retrying += 1
        else:
            self.failed += 1


def retry_window() -> timedelta:
    return timedelta(days=settings.WEBHOOK_RETRY_DAYS)


def backoff_delay(attempts: int) -> timedelta:
    """Exponential: base, 2×base, 4×base ... capped, plus up to 10% jitter."""
    seconds = min(
        settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
        settings.WEBHOOK_RETRY_MAX_SECONDS,
    )
    # Jitter spreads out the retries of events that failed together.
    return timedelta(seconds=seconds + random.uniform(0, seconds * 0.1))


def due_deliveries() -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(
        status__in=DUE_STATUSES, next_attempt_at__lte=timezone.now()
    ).order_by("next_attempt_at")


def deliver_due(*, batch_size: int = 20, limit: int | None = None) -> DeliveryStats:
    """Attempt everything due now (up to `limit`), a batch of claims at a time."""
    stats = DeliveryStats()
    while limit is None or stats.processed < limit:
        size = batch_size if limit is None else min(batch_size, limit - stats.processed)
        batch = claims.claim(due_deliveries(), size, lease=LEASE)
        if not batch:
            break
        for delivery in batch:
            stats.add(attempt(delivery))
    record_depth()
    return stats


def record_depth() -> None:
    """Set the deliveries gauge: rows by status, as this worker sees them now."""
    counts = dict(WebhookDelivery.objects.values_list("status").annotate(n=Count("pk")).order_by())
    for status in Status.values:
        WEBHOOK_DELIVERY_DEPTH.labels(status=status).set(counts.get(status, 0))


def attempt(delivery: WebhookDelivery) -> str:
    """POST a claimed delivery once; return its new status."""
    endpoint = WebhookEndpoint.objects.get(pk=delivery.endpoint_id)
    event = delivery.event
    if not endpoint.is_active:
        return _finish(delivery, Status.FAILED, None, "The endpoint is disabled.")
    body = sending.event_body(
        event_id=event.pk,
        event_type=event.type,
        created=int(event.created_at.timestamp()),
        data=event.data,
    )
    outcome = sending.post(url=endpoint.url, secret=endpoint.secret, event_id=event.pk, body=body)
    if outcome.delivered:
        WEBHOOK_DELIVERIES.labels(result="delivered").inc()
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=False).update(
            failing_since=None
        )
        return _finish(delivery, Status.DELIVERED, outcome)
    WEBHOOK_DELIVERIES.labels(result="failed").inc()
    logger.info("webhook %s to %s failed: %s", delivery.pk, endpoint.url, outcome.error)
    _note_failure(endpoint)
    retry_at = timezone.now() + backoff_delay(delivery.attempts)
    if retry_at > event.created_at + retry_window():
        return _finish(delivery, Status.FAILED, outcome)
    return _finish(delivery, Status.QUEUED, outcome, next_attempt_at=retry_at)


def _note_failure(endpoint: WebhookEndpoint) -> None:
    """Remember when the endpoint began failing; disable it once that is too long ago."""
    now = timezone.now()
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
        failing_since=now
    )
    reason = (
        f"Disabled on {now:%Y-%m-%d %H:%M} UTC: every delivery failed for "
        f"{settings.WEBHOOK_RETRY_DAYS} days."
    )
    disabled = WebhookEndpoint.objects.filter(
        pk=endpoint.pk, is_active=True, failing_since__lte=now - retry_window()
    ).update(is_active=False, disabled_reason=reason)
    if disabled:  # only the worker whose update won sends the email
        _email_disabled(endpoint, reason)


def _email_disabled(endpoint: WebhookEndpoint, reason: str) -> None:
    tenant = endpoint.tenant
    message = (
        f"Catalytic stopped sending events to your webhook endpoint {endpoint.url}. "
        f"{reason} Fix the endpoint, then enable it again on the Webhooks page "
        "(or PATCH /api/tenants/webhooks/{id} with is_active true)."
    )
    for address in team_admin_recipients(tenant):
        send_notice(
            tenant=tenant, to=address, subject="A webhook endpoint was disabled", message=message
        )


def _finish(
    delivery: WebhookDelivery,
    status: str,
    outcome: sending.Outcome | None,
    error: str = "",
    **fields: object,
) -> str:
    now = timezone.now()
    if outcome is not None:
        fields.update(
            last_status_code=outcome.status_code,
            last_duration_ms=outcome.duration_ms,
            last_error=outcome.error,
        )
    else:
        fields.update(last_error=error)
    if status == Status.DELIVERED:
        fields["delivered_at"] = now
    WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.SENDING).update(
        status=status, updated_at=now, **fields
    )
    delivery.status = status
    return status
