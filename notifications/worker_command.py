"""The loop of every outbox worker command (`deliver_emails`, `deliver_webhooks`).

`--once` does what is due and exits; otherwise the worker repeats until SIGTERM/SIGINT,
which finish the current batch first. Workers coordinate through row locks
(notifications.claims), so any number may run.
"""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections


class OutboxWorkerCommand(BaseCommand):
    """Subclasses name themselves and say how one round of work is done."""

    worker_name = "worker"
    waiting_for = "work"
    default_interval = 5.0

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="deliver what is due, then exit")
        parser.add_argument("--batch-size", type=int, default=20, help="rows claimed at a time")
        parser.add_argument(
            "--interval",
            type=float,
            default=self.default_interval,
            help="seconds to sleep when nothing is due",
        )

    def prepare(self) -> None:
        """Before the first round (a configuration warning, say)."""

    def work(self, *, batch_size: int, limit: int | None) -> tuple[Any, bool]:
        """One round: (the stats to report, whether anything was done)."""
        raise NotImplementedError

    def report(self, stats: Any) -> None:
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = max(1, options["batch_size"])
        self.prepare()
        if options["once"]:
            self.report(self.work(batch_size=batch_size, limit=None)[0])
            return
        self.stopping = False
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        self.stdout.write(f"{self.worker_name}: waiting for {self.waiting_for}")
        while not self.stopping:
            # A long-lived worker must notice dropped or stale database connections.
            close_old_connections()
            stats, worked = self.work(batch_size=batch_size, limit=batch_size * 10)
            if worked:
                self.report(stats)
            else:
                self._sleep(options["interval"])
        self.stdout.write(f"{self.worker_name}: stopped")

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.2, seconds))

    def _stop(self, signum: int, frame: Any) -> None:
        self.stopping = True
