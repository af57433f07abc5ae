"""Claiming rows of a durable outbox for one worker: the email outbox and the webhook
deliveries share it.

A row is claimed by flipping it to `sending` with a lease (next_attempt_at in the
future) inside a short transaction. On PostgreSQL the candidates are read with
`SELECT ... FOR UPDATE SKIP LOCKED`, so concurrent workers take disjoint rows without
waiting; the compare-and-set update makes the claim exclusive on every database. The
model needs `status`, `attempts`, `next_attempt_at` and `updated_at`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from django.db import models, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

SENDING = "sending"
Row = TypeVar("Row", bound=models.Model)


def claim(queryset: QuerySet[Row], limit: int, *, lease: timedelta) -> list[Row]:
    """Mark up to `limit` rows of `queryset` as ours; rows another worker holds are skipped.

    `lease` must be longer than one attempt can take: a `sending` row whose lease lapsed
    belongs to a worker that died, and is due again.
    """
    for _ in range(3):
        claimed, contended = _claim_once(queryset, limit, lease)
        # Losing every compare-and-set (databases without SKIP LOCKED) is not "nothing due".
        if claimed or not contended:
            return claimed
    return []


def _claim_once(queryset: QuerySet[Row], limit: int, lease: timedelta) -> tuple[list[Row], bool]:
    now = timezone.now()
    model = queryset.model
    claimed: list[Row] = []
    with transaction.atomic():
        candidates = list(queryset.select_for_update(skip_locked=True)[:limit])
        for row in candidates:
            won = model.objects.filter(pk=row.pk, status=row.status, attempts=row.attempts).update(
                status=SENDING,
                attempts=F("attempts") + 1,
                next_attempt_at=now + lease,
                updated_at=now,
            )
            if won:
                row.status = SENDING
                row.attempts += 1
                row.next_attempt_at = now + lease
                claimed.append(row)
    return claimed, bool(candidates) and not claimed
