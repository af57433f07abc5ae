"""Why a product request was refused, independent of how it arrived (API or pages).

Services raise these; the API turns them into its JSON error shape (same code, status
and extra fields) and the pages show `message`. Nothing here knows about DRF.
"""

from __future__ import annotations

from typing import Any


class ProductError(Exception):
    """A refusal with a stable `code`, the HTTP status it maps to, and optional fields."""

    status = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: Any = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details
        self.extra = extra or {}


class InvalidRequest(ProductError):
    """Bad input for a lattice or an operation (400)."""


class SearchBudgetExhausted(ProductError):
    """A path search needed more points than the tenant's plan allows (422)."""

    status = 422
    code = "search_budget_exceeded"


class PlanLimitExceeded(ProductError):
    """The request is valid but the tenant's plan does not allow it (402)."""

    status = 402
    code = "plan_limit"


class TenantSuspended(ProductError):
    """A suspended (or deleted) tenant may log in and pay, but not use the product (402)."""

    status = 402
    code = "tenant_suspended"


class TooManyJobs(ProductError):
    """The tenant already has as many jobs queued or running as its plan allows (429)."""

    status = 429
    code = "too_many_jobs"


class JobFinished(ProductError):
    """Only a queued or running job can be cancelled (409)."""

    status = 409
    code = "job_finished"
