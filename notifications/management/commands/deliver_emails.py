"""Send the outbox messages that are due: `manage.py deliver_emails [--once]`.

Run as many of these workers as you like: each claims rows with SKIP LOCKED, so
no message is sent twice. SIGTERM/SIGINT finish the current batch, then exit.
"""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from notifications.delivery import deliver_due
from notifications.password_resets import answer_reset_requests
from notifications.providers import provider_chain


class Command(BaseCommand):
    help = "Deliver queued emails (once, or in a loop)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="deliver what is due, then exit")
        parser.add_argument("--batch-size", type=int, default=20, help="rows claimed at a time")
        parser.add_argument(
            "--interval", type=float, default=5.0, help="seconds to sleep when nothing is due"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = max(1, options["batch_size"])
        self.delivering = self._delivering()
        if options["once"]:
            answer_reset_requests()
            self._report(deliver_due(batch_size=batch_size))
            return
        self.stopping = False
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        self.stdout.write("deliver_emails: waiting for messages")
        while not self.stopping:
            # A long-lived worker must notice dropped or stale database connections.
            close_old_connections()
            answered = answer_reset_requests()
            stats = deliver_due(batch_size=batch_size, limit=batch_size * 10)
            if stats.processed or answered:
                self._report(stats)
            else:
                self._sleep(options["interval"])
        self.stdout.write("deliver_emails: stopped")

    def _delivering(self) -> bool:
        try:
            chain = provider_chain()
        except ImproperlyConfigured:
            return True  # each attempt records the configuration error on its message
        if any(provider.delivers for provider in chain):
            return True
        labels = ", ".join(provider.label for provider in chain)
        self.stdout.write(
            self.style.WARNING(
                f"deliver_emails: no email provider is configured: {labels}. Set "
                "SENDGRID_API_KEY, AWS_ACCESS_KEY_ID or SMTP_URL to deliver email."
            )
        )
        return False

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.2, seconds))

    def _stop(self, signum: int, frame: Any) -> None:
        self.stopping = True

    def _report(self, stats: Any) -> None:
        # What a local backend "sent" reached nobody.
        done = "sent" if self.delivering else "not_delivered"
        self.stdout.write(f"{done}={stats.sent} retrying={stats.retrying} failed={stats.failed}")
