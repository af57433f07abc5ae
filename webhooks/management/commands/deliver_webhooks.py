"""Deliver the webhook events that are due: `manage.py deliver_webhooks [--once]`.

Run as many of these workers as you like: each claims deliveries with SKIP LOCKED, so
no attempt is made twice. SIGTERM/SIGINT finish the current batch, then exit.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from webhooks.delivery import DeliveryStats, deliver_due


class Command(BaseCommand):
    help = "Deliver queued webhook events (once, or in a loop)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="deliver what is due, then exit")
        parser.add_argument("--batch-size", type=int, default=20, help="rows claimed at a time")
        parser.add_argument(
            "--interval", type=float, default=2.0, help="seconds to sleep when nothing is due"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = max(1, options["batch_size"])
        if options["once"]:
            self._report(deliver_due(batch_size=batch_size))
            return
        self.stopping = threading.Event()
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        self.stdout.write("deliver_webhooks: waiting for events")
        while not self.stopping.is_set():
            # A long-lived worker must notice dropped or stale database connections.
            close_old_connections()
            stats = deliver_due(batch_size=batch_size, limit=batch_size * 10)
            if stats.processed:
                self._report(stats)
            else:
                self.stopping.wait(options["interval"])
        self.stdout.write("deliver_webhooks: stopped")

    def _stop(self, signum: int, frame: Any) -> None:
        self.stopping.set()

    def _report(self, stats: DeliveryStats) -> None:
        self.stdout.write(
            f"delivered={stats.delivered} retrying={stats.retrying} failed={stats.failed}"
        )
