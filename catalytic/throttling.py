"""The API's request-rate limits: per tenant (by plan) and per API key.

Registered for every DRF view as DEFAULT_THROTTLE_CLASSES. The counting is
catalytic.ratelimits.enforce_many (one pipelined Redis round trip for both
counters in production; django-ratelimit on any other cache), so every worker
and host shares one counter per tenant and per key, and an over-limit call is
the same 429 `rate_limited` with Retry-After as every
other limit. Unauthenticated endpoints (login, register...) have their own
per-IP/per-email limits and are not counted here.

The tenant's limit follows its plan (settings.API_RATE_BY_PLAN); a key's limit
(settings.API_KEY_RATE) keeps one runaway program from spending its whole tenant's
allowance. Like every limit here it fails open when the cache is down (logged).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from billing.limits import tenant_plan_code
from catalytic.ratelimits import enforce_many
from tenants.context import AuthContext


class TenantApiRateThrottle(BaseThrottle):
    def allow_request(self, request: Any, view: Any) -> bool:
        auth = request.auth
        if not isinstance(auth, AuthContext):
            return True
        plan_code = tenant_plan_code(auth.tenant)
        limits = [("api:tenant", str(auth.tenant_id), settings.API_RATE_BY_PLAN.get(plan_code))]
        if auth.api_key_id is not None:
            limits.append(("api:key", str(auth.api_key_id), settings.API_KEY_RATE))
        enforce_many(request, limits)
        return True
