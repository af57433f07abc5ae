"""The API's request rate per tenant, by plan (settings.API_RATE_BY_PLAN).

Every member and key of a tenant shares one counter, on every app node. Unauthenticated
endpoints (login, register...) have their own per-IP/per-email limits and are not
counted here.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from billing.limits import tenant_plan_code
from catalytic.ratelimits import CounterThrottle
from tenants.permissions import auth_context


class PlanRateThrottle(CounterThrottle):
    def counter(self, request: Any) -> tuple[str, str, str | None] | None:
        context = auth_context(request)
        if context is None:
            return None
        rate = settings.API_RATE_BY_PLAN.get(tenant_plan_code(context.tenant))
        return ("api:tenant", str(context.tenant_id), rate)
