"""Deliver the webhook events that are due: `manage.py deliver_webhooks [--once]`.

Run as many of these workers as you like: each claims deliveries with SKIP LOCKED, so
no attempt is made twice. SIGTERM/SIGINT finish the current batch, then exit.
"""

from __future__ import annotations

from typing import Any

from notifications.worker_command import OutboxWorkerCommand
from webhooks.delivery import DeliveryStats, deliver_due


class Command(OutboxWorkerCommand):
    help = "Deliver queued webhook events (once, or in a loop)."
    worker_name = "deliver_webhooks"
    waiting_for = "events"
    default_interval = 2.0

    def work(self, *, batch_size: int, limit: int | None) -> tuple[DeliveryStats, bool]:
        stats = deliver_due(batch_size=batch_size, limit=limit)
        return stats, bool(stats.processed)

    def report(self, stats: Any) -> None:
        self.stdout.write(
            f"delivered={stats.delivered} retrying={stats.retrying} failed={stats.failed}"
        )
