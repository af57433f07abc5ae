"""Background jobs: accept one (within the plan's concurrency), cancel one, prune old ones.

A job is metered once, by the request that submits it (lattices/api/metering.py); the
worker's run is not an API call and never meters again, however often it is delivered.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from billing.limits import plan_limit, tenant_plan, upgrade_suggestion
from catalytic.jobs_config import JOB_RETENTION_DAYS
from lattices import tasks
from lattices.exceptions import JobFinished, TooManyJobs
from lattices.job_runner import announce_job_finished
from lattices.models import Job, Lattice
from lattices.services import ensure_owned, ensure_product_access
from tenants.context import AuthContext
from tenants.models import Tenant

Status = Job.Status
# How long a client refused for too many jobs is asked to wait before trying again.
TOO_MANY_JOBS_RETRY_SECONDS = 5


def submit(caller: AuthContext, lattice: Lattice, *, kind: str, request: dict[str, Any]) -> Job:
    """Store a queued job and hand it to the workers once the row is committed.

    `request` is the computation's validated API body (lattices.computations), which the
    worker runs as `caller` (lattices.job_runner.job_caller)."""
    ensure_product_access(caller)
    ensure_owned(caller.tenant_id, lattice)
    tenant = caller.tenant
    allowed = plan_limit(caller, "max_concurrent_jobs") or 0
    with transaction.atomic():
        # SECURITY: the tenant row's lock serialises submissions of one tenant, so two
        # concurrent requests cannot both take the last free slot.
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
        active = Job.objects.for_tenant(tenant).filter(status__in=Job.ACTIVE).count()
        if active >= allowed:
            plan = tenant_plan(caller)
            raise TooManyJobs(
                f"The {plan.name} plan runs {allowed} background job"
                f"{'' if allowed == 1 else 's'} at a time and {active} "
                f"{'is' if active == 1 else 'are'} queued or running. Wait for one to "
                "finish, cancel one, or choose a larger plan.",
                extra={
                    "limit": "max_concurrent_jobs",
                    "allowed": allowed,
                    "active": active,
                    "plan": plan.code,
                    "upgrade_to": upgrade_suggestion(caller, "max_concurrent_jobs", active + 1),
                    "retry_after": TOO_MANY_JOBS_RETRY_SECONDS,
                },
                headers={"Retry-After": str(TOO_MANY_JOBS_RETRY_SECONDS)},
            )
        job = Job.objects.create(
            tenant=tenant,
            lattice=lattice,
            kind=kind,
            request=request,
            actor_id=caller.user_id,
            api_key_id=caller.api_key_id,
        )
        transaction.on_commit(partial(tasks.enqueue, str(job.pk)))
    return job


def cancel(*, tenant: Tenant, job: Job) -> Job:
    """Cancel a queued or running job. A running computation finishes in its worker,
    but its outcome is discarded: the worker stores only under its claim on a running row."""
    ensure_owned(tenant.pk, job.lattice)
    cancelled = (
        Job.objects.for_tenant(tenant)
        .filter(pk=job.pk, status__in=Job.ACTIVE)
        .update(status=Status.CANCELLED, request={}, finished_at=timezone.now())
    )
    job.refresh_from_db()
    if not cancelled:
        raise JobFinished(f"The job has already ended ({job.status}); it cannot be cancelled.")
    announce_job_finished(job)
    return job


def prune(*, now: Any = None) -> int:
    """Delete jobs that ended more than JOB_RETENTION_DAYS ago; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=JOB_RETENTION_DAYS)
    deleted, _ = Job.objects.filter(finished_at__lt=cutoff).exclude(status__in=Job.ACTIVE).delete()
    return deleted
