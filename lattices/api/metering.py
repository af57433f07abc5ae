"""The gate every product API request passes: one metered call.

It runs in `initial()`, after DRF has authenticated the request and checked its role and
the tenant's suspension (tenants.permissions.TenantActive), so every view built on it is
metered and no endpoint can forget to be. The plan comes with the caller (the AuthContext):
metering is the one statement billing.usage runs.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from billing.usage import UsageResult, quota_exceeded_error, record_api_call
from catalytic.errors import ServiceError
from catalytic.metrics import QUOTA_REJECTIONS
from tenants.permissions import auth_context


class MeteredProductAPIMixin:
    """Mix into every `/api/lattices...` view, before the tenant base class."""

    usage: UsageResult | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        context = auth_context(request)
        assert context is not None  # the permission classes refused anonymous requests
        usage = record_api_call(context)
        if not usage.allowed:
            QUOTA_REJECTIONS.labels(limit="api_calls_per_month").inc()
            raise quota_exceeded_error(context, usage)
        self.usage = usage

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ServiceError):
            limit = exc.extra.get("limit") if exc.code == "plan_limit" else None
            if exc.code == "search_budget_exceeded":
                limit = "search_budget"
            if limit:
                QUOTA_REJECTIONS.labels(limit=str(limit)).inc()
        return super().handle_exception(exc)  # type: ignore[misc]

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if self.usage is not None:
            response["X-Quota-Used"] = str(self.usage.used)
            if self.usage.limit is not None:
                response["X-Quota-Limit"] = str(self.usage.limit)
                response["X-Quota-Remaining"] = str(self.usage.remaining)
        return response
