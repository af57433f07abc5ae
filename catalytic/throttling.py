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

The authentication already makes one Redis round trip per request; `windows_to_count`
names the counters this request will hit, so that round trip carries the hits too and
the throttle only compares (accounts.authentication, accounts.revocation.auth_state).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from billing.limits import tenant_plan_code
from catalytic.ratelimits import Window, enforce_many, parse_rate
from tenants.context import AuthContext

# tenant id -> the window length of its plan's API rate (None: unlimited), as this worker
# last saw it. Only a hint for counting early: a stale one is corrected by the throttle.
_TENANT_PERIODS: dict[Any, int | None] = {}
_TENANT_PERIODS_MAX = 50_000


def windows_to_count(tenant_id: Any, api_key_id: Any, now: float) -> list[Window]:
    """The rate-limit windows this tenant's (or key's) next API call will hit."""
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return []
    windows = []
    period = _TENANT_PERIODS.get(tenant_id)
    if period:
        windows.append(Window.current("api:tenant", str(tenant_id), period, now))
    if api_key_id is not None and settings.API_KEY_RATE:
        key_period = parse_rate(settings.API_KEY_RATE)[1]
        windows.append(Window.current("api:key", str(api_key_id), key_period, now))
    return windows


class TenantApiRateThrottle(BaseThrottle):
    def allow_request(self, request: Any, view: Any) -> bool:
        auth = request.auth
        if not isinstance(auth, AuthContext):
            return True
        rate = settings.API_RATE_BY_PLAN.get(tenant_plan_code(auth.tenant))
        if len(_TENANT_PERIODS) >= _TENANT_PERIODS_MAX:
            _TENANT_PERIODS.clear()
        _TENANT_PERIODS[auth.tenant_id] = parse_rate(rate)[1] if rate else None
        limits = [("api:tenant", str(auth.tenant_id), rate)]
        if auth.api_key_id is not None:
            limits.append(("api:key", str(auth.api_key_id), settings.API_KEY_RATE))
        enforce_many(request, limits, counted=auth.rate_counts)
        return True
