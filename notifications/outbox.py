"""Enqueue messages in the caller's transaction; deliver after it commits."""

from __future__ import annotations

import logging
import time
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications.addresses import normalize_address, suppressed_reason, suppression_for
from notifications.delivery import deliver_message
from notifications.models import OutboxMessage
from notifications.rendering import Rendered
from tenants.models import Tenant

logger = logging.getLogger(__name__)


def enqueue(
    *,
    kind: str,
    to: str,
    rendered: Rendered,
    tenant: Tenant | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage:
    """Store one message for one recipient; delivery starts when the transaction commits.

    With a `dedupe_key`, a second call for the same key and recipient returns the
    first message instead of creating another (a unique constraint makes this hold
    under concurrency, not just in the common case).
    """
    address = normalize_address(to)
    key = dedupe_key or ""
    if key:
        existing = OutboxMessage.objects.filter(dedupe_key=key, to_email=address).first()
        if existing is not None:
            return existing
    suppression = suppression_for(address)
    fields = {
        "tenant": tenant,
        "kind": kind,
        "to_email": address,
        "subject": rendered.subject,
        "text_body": rendered.text,
        "html_body": rendered.html,
        "dedupe_key": key,
    }
    if suppression is not None:
        # Recorded, not silently dropped: the admin shows why it never left.
        fields.update(status=OutboxMessage.Status.FAILED, last_error=suppressed_reason(suppression))
        fields.update(OutboxMessage(kind=kind).redacted_fields())
    try:
        # A savepoint, so a lost race on the dedupe constraint leaves the caller's
        # transaction usable.
        with transaction.atomic():
            message = OutboxMessage.objects.create(**fields)
    except IntegrityError:
        if not key:
            raise
        return OutboxMessage.objects.get(dedupe_key=key, to_email=address)
    if message.status == OutboxMessage.Status.QUEUED:
        schedule_delivery(message)
    return message


def schedule_delivery(message: OutboxMessage) -> None:
    """After commit, try this message once in-process unless a worker owns delivery."""
    if settings.EMAIL_DELIVERY_MODE == "worker":
        return
    transaction.on_commit(partial(_deliver_after_commit, message.pk), robust=True)


# After an immediate attempt fails, later ones in this process wait this long: during a
# provider outage a request that enqueued fifty messages must not sit through fifty
# rounds of provider timeouts. The worker sends what was skipped.
_inline_paused_until = 0.0


def _deliver_after_commit(message_id: object) -> None:
    global _inline_paused_until
    if time.monotonic() < _inline_paused_until:
        return
    try:
        status = deliver_message(message_id)
    except Exception:
        # The row is still queued (or back to queued); the worker retries it.
        logger.exception("immediate delivery of outbox message %s failed", message_id)
        status = OutboxMessage.Status.QUEUED
    if status == OutboxMessage.Status.QUEUED:
        _inline_paused_until = time.monotonic() + settings.EMAIL_RETRY_BASE_SECONDS


def requeue(message: OutboxMessage) -> None:
    """Send a message again from scratch (the admin's resend action)."""
    message.status = OutboxMessage.Status.QUEUED
    message.attempts = 0
    message.next_attempt_at = timezone.now()
    message.last_error = ""
    message.provider = ""
    message.provider_message_id = ""
    message.sent_at = None
    message.save(
        update_fields=[
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "provider",
            "provider_message_id",
            "sent_at",
            "updated_at",
        ]
    )
    schedule_delivery(message)
