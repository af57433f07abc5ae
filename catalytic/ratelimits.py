"""Rate limits shared by every app, counted in the default cache (Redis in production,
so every worker and host shares them).

Pages, forms and the public API endpoints (login, register, reset...) use django-ratelimit:
`enforce(request, "login:ip", client_ip(request), settings.RATELIMIT_LOGIN)` counts one
hit and raises a 429 ServiceError with Retry-After once the rate is exceeded.

The authenticated API counts several limits per request (its tenant's plan, its API
key): `CounterThrottle`, a DRF throttle, counts all of them in ONE round trip to Redis
(a pipeline of INCR and EXPIRE NX per counter, in fixed windows), since a round trip
costs more worker CPU than anything else a throttle does.

SECURITY: rate limiting fails *open*. When the cache (Redis) is unreachable the
hit is not counted, a warning is logged and the request goes on: an outage of
the cache must not lock every customer out of login. Passwords stay protected
by their hashing cost, and /health reports the Redis outage so someone is paged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django_ratelimit.core import get_usage
from django_redis import get_redis_connection
from django_redis.cache import RedisCache
from rest_framework.throttling import BaseThrottle

from catalytic.client_ip import client_ip
from catalytic.errors import ServiceError
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
    """Count one hit; raise ServiceError(429) with Retry-After when over `rate`."""
    wait = seconds_until_allowed(request, group, key_value, rate)
    if wait:
        raise rate_limited(wait)


PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

# (group, key value, rate): one limit to count a request against.
Counter = tuple[str, str, str]


def parse_rate(rate: str) -> tuple[int, int]:
    """django-ratelimit's "count/period" ("100/m", "5/10s") → (count, seconds)."""
    count, _, period = rate.partition("/")
    multiplier, unit = period[:-1] or "1", period[-1:]
    return int(count), int(multiplier) * PERIOD_SECONDS[unit]


def count_hits(counters: Sequence[Counter], now: float | None = None) -> int:
    """Count one hit on each counter, in one round trip: 0 while every one is within its
    rate, else the seconds until the last exceeded window ends. Fails open (see above)."""
    if not counters or not getattr(settings, "RATELIMIT_ENABLE", True):
        return 0
    now = time.time() if now is None else now
    windows = []
    for group, value, rate in counters:
        limit, period = parse_rate(rate)
        start = int(now) - int(now) % period
        windows.append(
            (group, f"throttle:{group}:{value or 'unknown'}:{start}", limit, start + period)
        )
    try:
        counts = _increment(windows)
    except Exception as exc:  # noqa: BLE001 - any cache failure: fail open, see above
        logger.warning("API rate limits not enforced, cache unavailable: %s", exc)
        return 0
    wait = 0
    for (group, _key, limit, ends), count in zip(windows, counts, strict=True):
        if count > limit:
            RATE_LIMIT_HITS.labels(group=group).inc()
            wait = max(wait, max(1, int(ends - now + 0.999)))
    return wait


def _increment(windows: list[tuple[str, str, int, int]]) -> list[int]:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        pipe = get_redis_connection("default").pipeline(transaction=False)
        for _group, name, _limit, ends in windows:
            key = backend.make_key(name)
            pipe.incr(key)
            # A second past the window's end, so a late hit never finds it gone.
            pipe.expireat(key, ends + 1, nx=True)
        return [int(found) for found in pipe.execute()[0::2]]
    counts = []
    for _group, name, _limit, ends in windows:  # the local-memory cache of one process
        backend.add(name, 0, timeout=ends + 1 - time.time())
        counts.append(backend.incr(name))
    return counts


class CounterThrottle(BaseThrottle):
    """A DRF throttle counting each request against `counters()`, all in one round trip;
    DRF answers 429 with Retry-After (catalytic.api_errors renders it like every other
    limit)."""

    wait_seconds = 0

    def counters(self, request: Any) -> list[Counter]:
        """(group, key value, rate) for each limit this request counts against; a limit
        with an empty rate is off."""
        raise NotImplementedError

    def allow_request(self, request: Any, view: Any) -> bool:
        counters = [counter for counter in self.counters(request) if counter[2]]
        self.wait_seconds = count_hits(counters)
        return not self.wait_seconds

    def wait(self) -> float | None:
        return self.wait_seconds or None


def rate_limited(retry_after: int) -> ServiceError:
    return ServiceError(
        "Too many requests; try again later.",
        code="rate_limited",
        status=429,
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
