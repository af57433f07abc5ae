"""How long the oldest due webhook delivery has waited, measured when /metrics is scraped
(read from the table, so a backlog shows whether or not any worker is alive)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db import DatabaseError
from django.db.models import Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from webhooks.delivery import due_deliveries

logger = logging.getLogger(__name__)


class WebhookBacklogCollector(Collector):
    """`catalytic_webhook_oldest_due_seconds`: 0 when no delivery is waiting."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            oldest = due_deliveries().order_by().aggregate(oldest=Min("next_attempt_at"))
        except DatabaseError as exc:
            logger.warning("webhook backlog not measured: %s", exc)
            return
        when = oldest["oldest"]
        age = (timezone.now() - when).total_seconds() if when is not None else 0.0
        yield GaugeMetricFamily(
            "catalytic_webhook_oldest_due_seconds",
            "Seconds the oldest webhook delivery due now (queued, or a lapsed claim) has waited.",
            value=max(age, 0.0),
        )
