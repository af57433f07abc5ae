"""The job queue's state for /health and /metrics, read from the job rows at each look.

The rows are the truth: a queue whose workers all died keeps its queued rows, and their
age grows whether or not any worker is alive to report it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.db import DatabaseError
from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from catalytic.jobs_config import JOB_STALE_SECONDS, broker_url
from lattices.models import Job

logger = logging.getLogger(__name__)

Status = Job.Status


def queue_state() -> dict[str, Any]:
    """Queued and running jobs, the oldest queued job's age, and running jobs whose worker
    stopped answering (claim older than any job may run)."""
    now = timezone.now()
    stale = now - timedelta(seconds=JOB_STALE_SECONDS)
    row = Job.objects.filter(status__in=Job.ACTIVE).aggregate(
        queued=Count("pk", filter=Q(status=Status.QUEUED)),
        running=Count("pk", filter=Q(status=Status.RUNNING)),
        stalled=Count("pk", filter=Q(status=Status.RUNNING, claimed_at__lt=stale)),
        oldest=Min("created_at", filter=Q(status=Status.QUEUED)),
    )
    oldest = row.pop("oldest")
    row["oldest_queued_seconds"] = (
        round(max((now - oldest).total_seconds(), 0.0), 3) if oldest else 0.0
    )
    return row


def health_section() -> dict[str, Any]:
    # The scheme only: the URL may carry the broker's password.
    return {**queue_state(), "broker": broker_url().split("://", 1)[0]}


class JobQueueCollector(Collector):
    """Gauges: `catalytic_jobs{status}`, `..._oldest_queued_seconds`, `catalytic_jobs_stalled`."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            state = queue_state()
        except DatabaseError as exc:
            logger.warning("job queue not measured: %s", exc)
            return
        jobs = GaugeMetricFamily(
            "catalytic_jobs", "Background jobs queued or running now.", labels=["status"]
        )
        jobs.add_metric(["queued"], state["queued"])
        jobs.add_metric(["running"], state["running"])
        yield jobs
        yield GaugeMetricFamily(
            "catalytic_jobs_oldest_queued_seconds",
            "Seconds the oldest queued background job has waited for a worker (0: none).",
            value=state["oldest_queued_seconds"],
        )
        yield GaugeMetricFamily(
            "catalytic_jobs_stalled",
            "Running jobs whose claim is older than any job may run: their worker died.",
            value=state["stalled"],
        )
