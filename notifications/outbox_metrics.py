"""How long the oldest due email has waited, measured when /metrics is scraped.

The delivery worker's own outbox gauge (catalytic_email_outbox_depth) stops moving when
the worker dies, which is exactly when the outbox fills. This reads the outbox itself,
so a backlog shows whether or not any worker is alive to report it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db import DatabaseError
from django.db.models import Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from notifications.delivery import due_messages

logger = logging.getLogger(__name__)


class OutboxBacklogCollector(Collector):
    """`catalytic_email_outbox_oldest_due_seconds`: 0 when nothing is waiting to be sent."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            oldest = due_messages().order_by().aggregate(oldest=Min("next_attempt_at"))["oldest"]
        except DatabaseError as exc:
            # catalytic_dependency_up says the database is down; no guess here.
            logger.warning("outbox backlog not measured: %s", exc)
            return
        age = (timezone.now() - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "catalytic_email_outbox_oldest_due_seconds",
            "Seconds the oldest email due for delivery (queued, or a lapsed claim) has waited.",
            value=max(age, 0.0),
        )
