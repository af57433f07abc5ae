"""The authenticated API's request rates: per tenant by plan (settings.API_RATE_BY_PLAN),
and per API key inside its tenant's (settings.API_KEY_RATE), counted together in one
round trip (catalytic.ratelimits.CounterThrottle).

Every member and key of a tenant shares the tenant's counter, on every app node; the key's
own limit keeps one runaway program from spending its whole tenant's allowance.
Unauthenticated endpoints (login, register...) have their own per-IP/per-email limits and
are not counted here.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from billing.limits import tenant_plan_code
from catalytic.ratelimits import Counter, CounterThrottle
from tenants.permissions import auth_context


class ApiRateThrottle(CounterThrottle):
    def counters(self, request: Any) -> list[Counter]:
        context = auth_context(request)
        if context is None:
            return []
        plan_rate = settings.API_RATE_BY_PLAN.get(tenant_plan_code(context)) or ""
        counters = [("api:tenant", str(context.tenant_id), plan_rate)]
        if context.api_key_id is not None:
            counters.append(("api:key", str(context.api_key_id), settings.API_KEY_RATE))
        return counters
