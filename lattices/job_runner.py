"""What a worker does with a job: claim its row, compute, store the outcome once.

The queue may deliver a job's message more than once (a worker killed mid-job gives
it back, Redis redelivers after its visibility timeout). The row decides: a worker
runs the job only after a conditional UPDATE claims it, and stores the outcome only
while its claim is still the row's, so a job ends once and its result is stored once.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalytic.errors import ServiceError
from catalytic.jobs_config import JOB_STALE_SECONDS
from catalytic.metrics import JOB_SECONDS, JOB_WAIT_SECONDS
from lattices.computations import COMPUTATIONS_BY_KIND
from lattices.models import Job
from lattices.signals import job_finished
from tenants.context import AuthContext
from tenants.models import Role

logger = logging.getLogger(__name__)

Status = Job.Status


@dataclass(frozen=True)
class RunResult:
    """`ran`: this call computed and stored the job. Otherwise, `retry_in` seconds when
    another worker holds a live claim (look again once it would be stale), else None:
    the job is gone or already ended."""

    ran: bool
    retry_in: float | None = None


def announce_job_finished(job: Job) -> None:
    """THE place a job's end is signalled (`lattices.signals.job_finished`), after commit."""
    transaction.on_commit(lambda: job_finished.send(sender=Job, job=job))


def claim(job_id: uuid.UUID | str) -> uuid.UUID | None:
    """Take the job: queued, or running under a claim too old to be alive. None if not."""
    token = uuid.uuid4()
    now = timezone.now()
    stale = now - timedelta(seconds=JOB_STALE_SECONDS)
    taken = (
        Job.objects.filter(pk=job_id)
        .filter(Q(status=Status.QUEUED) | Q(status=Status.RUNNING, claimed_at__lt=stale))
        .update(
            status=Status.RUNNING,
            claim=token,
            claimed_at=now,
            started_at=Coalesce("started_at", now),
            attempts=F("attempts") + 1,
        )
    )
    return token if taken else None


def _seconds_until_stale(job_id: uuid.UUID | str) -> float | None:
    row = Job.objects.filter(pk=job_id).values("status", "claimed_at").first()
    if row is None or row["status"] != Status.RUNNING or row["claimed_at"] is None:
        return None
    age = (timezone.now() - row["claimed_at"]).total_seconds()
    return max(JOB_STALE_SECONDS - age, 0.0) + 1.0


def job_caller(job: Job) -> AuthContext:
    """The caller a job runs as: whoever submitted it, the person or the API key.

    Its role is the one the submission was checked for (computing is a member's action);
    the tenant and its plan are read now, so a plan changed meanwhile applies."""
    return AuthContext.of_tenant(
        job.tenant,
        role=Role.MEMBER,
        method="job",
        user_id=job.actor_id,
        api_key_id=job.api_key_id,
    )


def compute(job: Job) -> dict[str, Any]:
    """The synchronous call's result for the job's request (raises ServiceError)."""
    computation = COMPUTATIONS_BY_KIND[job.kind]
    return computation.run(job_caller(job), job.lattice, job.request, background=True).data


def error_of(exc: ServiceError) -> dict[str, Any]:
    """The job's `error`: the same fields the synchronous call's error body holds."""
    return {"code": exc.code, "message": exc.message, "details": exc.details, **exc.extra}


def run(job_id: uuid.UUID | str) -> RunResult:
    token = claim(job_id)
    if token is None:
        return RunResult(ran=False, retry_in=_seconds_until_stale(job_id))
    job = (
        Job.objects.select_related("tenant__subscription__plan", "lattice")
        .filter(pk=job_id)
        .first()
    )
    if job is None:  # its lattice was deleted meanwhile, and the job with it
        return RunResult(ran=False)
    if job.attempts == 1 and job.started_at is not None:  # a rerun did not wait again
        JOB_WAIT_SECONDS.observe(max((job.started_at - job.created_at).total_seconds(), 0.0))
    started = time.perf_counter()
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    try:
        result = compute(job)
    except ServiceError as exc:
        error = error_of(exc)
    except Exception:
        # A defect, not bad input: the job ends failed with a message that says so, and
        # the traceback goes to the worker's log.
        logger.exception("job %s failed unexpectedly", job_id)
        error = {
            "code": "internal_error",
            "message": "The computation failed unexpectedly; the operators have the details.",
            "details": None,
        }
    status = Status.FAILED if error is not None else Status.SUCCEEDED
    operation_id = (result or error or {}).get("operation_id")
    stored = Job.objects.filter(pk=job_id, status=Status.RUNNING, claim=token).update(
        status=status,
        result=result,
        error=error,
        operation_id=operation_id,
        request={},
        finished_at=timezone.now(),
    )
    JOB_SECONDS.labels(kind=job.kind, status=status).observe(time.perf_counter() - started)
    if stored:
        job.refresh_from_db()
        announce_job_finished(job)
    return RunResult(ran=bool(stored))
