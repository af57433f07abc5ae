"""Send the outbox messages that are due: `manage.py deliver_emails [--once]`.

Run as many of these workers as you like: each claims rows with SKIP LOCKED, so
no message is sent twice. SIGTERM/SIGINT finish the current batch, then exit.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from notifications.delivery import DeliveryStats, deliver_due
from notifications.password_resets import answer_reset_requests
from notifications.providers import provider_chain
from notifications.worker_command import OutboxWorkerCommand


class Command(OutboxWorkerCommand):
    help = "Deliver queued emails (once, or in a loop)."
    worker_name = "deliver_emails"
    waiting_for = "messages"

    def prepare(self) -> None:
        self.delivering = self._delivering()

    def work(self, *, batch_size: int, limit: int | None) -> tuple[DeliveryStats, bool]:
        answered = answer_reset_requests()
        stats = deliver_due(batch_size=batch_size, limit=limit)
        return stats, bool(stats.processed or answered)

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

    def report(self, stats: Any) -> None:
        # What a local backend "sent" reached nobody.
        done = "sent" if self.delivering else "not_delivered"
        self.stdout.write(f"{done}={stats.sent} retrying={stats.retrying} failed={stats.failed}")
