"""Rate limits shared by every app: django-ratelimit counters on the default cache.

`enforce(request, "login:ip", client_ip(request), settings.RATELIMIT_LOGIN)`
counts one hit and raises a 429 ApiError with Retry-After once the rate is
exceeded; `CounterThrottle` is the same counter as a DRF throttle, for the
authenticated API's per-plan and per-key limits. The counters live in the default
cache, which is Redis in production, so every worker and host shares them.

SECURITY: rate limiting fails *open*. When the cache (Redis) is unreachable the
hit is not counted, a warning is logged and the request goes on: an outage of
the cache must not lock every customer out of login. Passwords stay protected
by their hashing cost, and /health reports the Redis outage so someone is paged.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

from catalytic.api_errors import ApiError
from catalytic.client_ip import client_ip
from catalytic.metrics import RATE_LIMIT_HITS

logger = logging.getLogger(__name__)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def seconds_until_allowed(request: Any, group: str, key_value: str, rate: str | None) -> int:
    """Count one hit of `group` for `key_value`: 0 while within `rate`, else the seconds
    until its window ends.

    `rate` is django-ratelimit's "count/period" ("10/m", "100/h"); an empty rate
    disables the limit, as does settings.RATELIMIT_ENABLE = False.
    """
    if not rate:
        return 0
    value = key_value or "unknown"
    try:
        usage = get_usage(
            request, group=group, key=lambda _group, _request: value, rate=rate, increment=True
        )
    except Exception as exc:  # noqa: BLE001 - any cache failure: fail open, see above
        logger.warning("rate limit %s not enforced, cache unavailable: %s", group, exc)
        return 0
    if usage is None or not usage["should_limit"]:
        return 0
    RATE_LIMIT_HITS.labels(group=group).inc()
    return max(1, int(usage["time_left"]))


def enforce(request: Any, group: str, key_value: str, rate: str | None) -> None:
    """Count one hit; raise ApiError(429) with Retry-After when over `rate`."""
    wait = seconds_until_allowed(request, group, key_value, rate)
    if wait:
        raise rate_limited(wait)


class CounterThrottle(BaseThrottle):
    """A DRF throttle on one django-ratelimit counter: DRF answers 429 with Retry-After
    (catalytic.api_errors renders it like every other limit)."""

    wait_seconds = 0

    def counter(self, request: Any) -> tuple[str, str, str | None] | None:
        """(group, key value, rate) to count this request against; None: not limited."""
        raise NotImplementedError

    def allow_request(self, request: Any, view: Any) -> bool:
        counter = self.counter(request)
        if counter is None:
            return True
        self.wait_seconds = seconds_until_allowed(request, *counter)
        return not self.wait_seconds

    def wait(self) -> float | None:
        return self.wait_seconds or None


def rate_limited(retry_after: int) -> ApiError:
    return ApiError(
        "Too many requests; try again later.",
        code="rate_limited",
        status_code=429,
        details={"retry_after": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def enforce_ip_and_email(request: Any, group: str, email: str | None, rate: str | None) -> None:
    """The usual pair for unauthenticated endpoints: per client IP, then per email."""
    enforce(request, f"{group}:ip", client_ip(request), rate)
    if email:
        enforce(request, f"{group}:email", normalise_email(email), rate)


def configured_rate(name: str) -> str:
    """settings.<name>, e.g. configured_rate("RATELIMIT_LOGIN") -> "10/m"."""
    return str(getattr(settings, name, "") or "")
