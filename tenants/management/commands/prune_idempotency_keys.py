"""Delete Idempotency-Key records past their 24-hour window (run daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tenants.idempotency import prune


class Command(BaseCommand):
    help = (
        "Delete stored Idempotency-Key answers older than 24 hours: a retry that late runs "
        "as a new request anyway."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Pruned {prune()} expired idempotency key(s).")
