"""Celery tasks of the product: a message carries only a job's id (lattices/job_runner.py)."""

from __future__ import annotations

import logging

from celery import Task, shared_task
from django.db import DatabaseError

from lattices import job_runner

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="lattices.run_job", max_retries=None)
def run_job(self: Task, job_id: str) -> None:
    try:
        outcome = job_runner.run(job_id)
    except DatabaseError as exc:
        # The database went away mid-job: the claim lapses after JOB_STALE_SECONDS and a
        # later delivery takes the job again.
        logger.warning("job %s: database error, retrying: %s", job_id, exc)
        raise self.retry(countdown=10, exc=exc)
    if outcome.retry_in is not None:
        # Another worker holds the job; if it died, its claim goes stale and we take over.
        raise self.retry(countdown=outcome.retry_in)


def enqueue(job_id: str) -> None:
    """Hand a job to the workers (call after the row is committed)."""
    run_job.delay(job_id)
