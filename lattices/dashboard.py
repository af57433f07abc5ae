"""The tenant's dashboard page: plan, usage against it (with this month's chart and a
warning near the quota), the latest background jobs and lattice operations.

It sits in lattices, the top app, because it shows billing's plan and usage beside the
product's own history.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from billing.limits import tenant_plan
from billing.usage import current_period, usage_summary
from billing.usage_report import month_usage
from catalytic.jobs_config import JOB_RETENTION_DAYS
from lattices.models import Job, LatticeOperation
from tenants.page_auth import tenant_required

RECENT_OPERATIONS = 10
RECENT_JOBS = 10


def _meter(used: int, limit: int | None) -> dict[str, object]:
    """A usage meter for the template: figures, percentage, and whether it is nearly full."""
    if limit is None:
        return {"used": used, "limit": None, "percent": 0, "high": False}
    percent = min(100, round(used * 100 / limit)) if limit else 100
    return {"used": used, "limit": limit, "percent": percent, "high": percent >= 90}


@tenant_required
def dashboard(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    usage = usage_summary(tenant)
    try:
        subscription = tenant.subscription
    except ObjectDoesNotExist:  # a tenant without a subscription row is on Free
        subscription = None
    operations = (
        LatticeOperation.objects.for_tenant(tenant)
        .select_related("lattice", "actor")
        .order_by("-created_at")[:RECENT_OPERATIONS]
    )
    recent_jobs = (
        Job.objects.for_tenant(tenant).select_related("lattice").order_by("-created_at")
    )[:RECENT_JOBS]
    return render(
        request,
        "lattices/dashboard.html",
        {
            "plan": tenant_plan(tenant),
            "subscription": subscription,
            "api_calls": _meter(usage["api_calls"]["used"], usage["api_calls"]["limit"]),
            "lattices": _meter(usage["lattices"]["used"], usage["lattices"]["limit"]),
            "period_end": current_period().end,
            "operations": operations,
            "jobs": recent_jobs,
            "job_retention_days": JOB_RETENTION_DAYS,
            "usage": month_usage(tenant),
        },
    )
