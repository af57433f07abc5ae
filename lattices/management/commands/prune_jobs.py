"""Delete background jobs (and their results) that ended over JOB_RETENTION_DAYS ago (daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from catalytic.jobs_config import JOB_RETENTION_DAYS
from lattices.jobs import prune


class Command(BaseCommand):
    help = (
        f"Delete background jobs that ended more than JOB_RETENTION_DAYS (now "
        f"{JOB_RETENTION_DAYS}) days ago, with their results. Queued and running jobs stay."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = prune()
        self.stdout.write(
            f"Pruned {deleted} job(s) that ended more than {JOB_RETENTION_DAYS} days ago."
        )
