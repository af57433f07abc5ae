"""Deliver outbox messages: claim, try each provider in turn, record the outcome.

Messages are claimed as notifications.claims describes (a lease, SKIP LOCKED, a
compare-and-set); the provider call happens outside any transaction.
"""

from __future__ import annotations

import logging
import random
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.utils import make_msgid, parseaddr

from anymail.exceptions import AnymailRecipientsRefused
from anymail.message import AnymailMessage
from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils import timezone

from catalytic.metrics import EMAIL_OUTBOX_DEPTH, EMAILS_DELIVERED
from notifications import claims
from notifications.addresses import suppressed_reason, suppression_for
from notifications.models import OutboxMessage
from notifications.providers import Provider, provider_chain

logger = logging.getLogger(__name__)

Status = OutboxMessage.Status
DUE_STATUSES = (Status.QUEUED, Status.SENDING)
# Longer than the whole chain can take (provider timeouts × providers): a `sending`
# row whose lease expired belongs to a worker that died, and is tried again.
LEASE = timedelta(minutes=5)


class DeliveryError(Exception):
    pass


# Errors that say "this address will never work", not "this provider is down".
_RECIPIENT_ERRORS = (AnymailRecipientsRefused, smtplib.SMTPRecipientsRefused)


@dataclass
class DeliveryStats:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def processed(self) -> int:
        return self.sent + self.retrying + self.failed

    def add(self, status: str) -> None:
        if status == Status.SENT:
            self.sent += 1
        elif status == Status.QUEUED:
            self.retrying += 1
        else:
            self.failed += 1


def backoff_delay(attempts: int) -> timedelta:
    """Exponential: base, 2×base, 4×base ... capped, plus up to 10% jitter."""
    seconds = min(
        settings.EMAIL_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
        settings.EMAIL_RETRY_MAX_SECONDS,
    )
    # Jitter spreads out a burst of messages that failed together.
    return timedelta(seconds=seconds + random.uniform(0, seconds * 0.1))


def due_messages() -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(
        status__in=DUE_STATUSES, next_attempt_at__lte=timezone.now()
    ).order_by("next_attempt_at")


def claim(queryset: QuerySet[OutboxMessage], limit: int) -> list[OutboxMessage]:
    """Mark up to `limit` rows of `queryset` as ours; rows another worker holds are skipped."""
    return claims.claim(queryset, limit, lease=LEASE)


def deliver_message(message_id: object) -> str | None:
    """One immediate attempt at one queued message; None if it was not ours to send."""
    claimed = claim(
        OutboxMessage.objects.filter(
            pk=message_id, status=Status.QUEUED, next_attempt_at__lte=timezone.now()
        ),
        1,
    )
    if not claimed:
        return None
    return attempt(claimed[0])


def deliver_due(*, batch_size: int = 20, limit: int | None = None) -> DeliveryStats:
    """Send everything due now (up to `limit`), a batch of claims at a time."""
    stats = DeliveryStats()
    while limit is None or stats.processed < limit:
        size = batch_size if limit is None else min(batch_size, limit - stats.processed)
        batch = claim(due_messages(), size)
        if not batch:
            break
        for message in batch:
            stats.add(attempt(message))
    record_outbox_depth()
    return stats


def record_outbox_depth() -> None:
    """Set the outbox-depth gauge: messages by status, as this worker sees them now."""
    counts = dict(OutboxMessage.objects.values_list("status").annotate(n=Count("pk")).order_by())
    for status in Status.values:
        EMAIL_OUTBOX_DEPTH.labels(status=status).set(counts.get(status, 0))


def attempt(message: OutboxMessage) -> str:
    """Try the provider chain for a claimed message; return its new status."""
    suppression = suppression_for(message.to_email)
    if suppression is not None:
        return _finish(message, status=Status.FAILED, last_error=suppressed_reason(suppression))
    errors: list[str] = []
    recipient_refused = True
    try:
        chain = provider_chain()
    except Exception as exc:  # a bad SMTP_URL must not strand the row in `sending`
        chain = []
        recipient_refused = False
        errors.append(f"configuration: {exc}")
    for provider in chain:
        try:
            provider_message_id = send_via(provider, message)
        except Exception as exc:
            recipient_refused = recipient_refused and isinstance(exc, _RECIPIENT_ERRORS)
            errors.append(f"{provider.name}: {type(exc).__name__}: {exc}")
            EMAILS_DELIVERED.labels(provider=provider.name, result="failed").inc()
            logger.warning(
                "email %s via %s failed: %s", message.pk, provider.name, exc, exc_info=True
            )
            continue
        EMAILS_DELIVERED.labels(provider=provider.name, result="sent").inc()
        return _finish(
            message,
            status=Status.SENT,
            provider=provider.name,
            provider_message_id=provider_message_id,
            sent_at=timezone.now(),
            last_error="",
        )
    last_error = "; ".join(errors)[:5000]
    if recipient_refused or message.attempts >= settings.EMAIL_MAX_ATTEMPTS:
        logger.error("email %s failed for good: %s", message.pk, last_error)
        return _finish(message, status=Status.FAILED, last_error=last_error)
    return _finish(
        message,
        status=Status.QUEUED,
        next_attempt_at=timezone.now() + backoff_delay(message.attempts),
        last_error=last_error,
    )


def send_via(provider: Provider, message: OutboxMessage) -> str:
    """Hand the message to one provider; return the provider's id for it."""
    email = AnymailMessage(
        subject=message.subject,
        body=message.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_email],
        connection=provider.connection(),
    )
    if message.html_body:
        email.attach_alternative(message.html_body, "text/html")
    if provider.is_anymail:
        # Comes back in tracking events: a second way to find the message.
        email.metadata = {"outbox_id": str(message.pk)}
    else:
        email.extra_headers["Message-ID"] = make_msgid(domain=_sender_domain())
    if email.send() != 1:
        raise DeliveryError("the provider accepted no message")
    if provider.is_anymail:
        return str(email.anymail_status.message_id or "")
    return email.extra_headers["Message-ID"]


def _sender_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "localhost"


def _finish(message: OutboxMessage, *, status: str, **fields: object) -> str:
    now = timezone.now()
    if status in (Status.SENT, Status.FAILED):
        fields.update(message.redacted_fields())
    updated = OutboxMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=status, updated_at=now, **fields
    )
    if not updated:
        # A tracking webhook overtook us (delivered before we saved "sent"): keep its
        # status, but record which provider sent the message.
        kept = ("provider", "provider_message_id", "text_body", "html_body")
        keep = {k: v for k, v in fields.items() if k in kept}
        if keep:
            OutboxMessage.objects.filter(pk=message.pk).update(updated_at=now, **keep)
    for name, value in {"status": status, **fields}.items():
        setattr(message, name, value)
    return status
