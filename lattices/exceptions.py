"""The product's refusals: ServiceError subclasses with their own code and status."""

from __future__ import annotations

from catalytic.errors import ServiceError


class InvalidRequest(ServiceError):
    """Bad input for a lattice or an operation (400)."""


class SearchBudgetExhausted(ServiceError):
    """A path search needed more points than the tenant's plan allows (422)."""

    status = 422
    code = "search_budget_exceeded"


class PlanLimitExceeded(ServiceError):
    """The request is valid but the tenant's plan does not allow it (402)."""

    status = 402
    code = "plan_limit"


class TenantSuspended(ServiceError):
    """A suspended (or deleted) tenant may log in and pay, but not use the product (402)."""

    status = 402
    code = "tenant_suspended"


class TooManyJobs(ServiceError):
    """The tenant already has as many jobs queued or running as its plan allows (429)."""

    status = 429
    code = "too_many_jobs"


class JobFinished(ServiceError):
    """Only a queued or running job can be cancelled (409)."""

    status = 409
    code = "job_finished"
