"""Rate limits shared by every app: django-ratelimit counters on the default cache.

`enforce(request, "login:ip", client_ip(request), settings.RATELIMIT_LOGIN)`
counts one hit and raises a 429 ApiError with Retry-After once the rate is
exceeded. The counters live in the default cache, which is Redis in production,
so every worker and host shares them.

SECURITY: rate limiting fails *open*. When the cache (Redis) is unreachable the
hit is not counted, a warning is logged and the request goes on: an outage of
the cache must not lock every customer out of login. Passwords stay protected
by their hashing cost, and /health reports the Redis outage so someone is paged.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django_ratelimit.core import get_usage

from catalytic.api_errors import ApiError
from catalytic.client_ip import client_ip
from catalytic.metrics import RATE_LIMIT_HITS

logger = logging.getLogger(__name__)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def enforce(request: Any, group: str, key_value: str, rate: str | None) -> None:
    """Count one hit of `group` for `key_value`; raise ApiError(429) when over `rate`.

    `rate` is django-ratelimit's "count/period" ("10/m", "100/h"); an empty
    rate disables the limit, as does settings.RATELIMIT_ENABLE = False.
    """
    if not rate:
        return
    value = key_value or "unknown"
    try:
        usage = get_usage(
            request, group=group, key=lambda _group, _request: value, rate=rate, increment=True
        )
    except Exception as exc:  # noqa: BLE001 - any cache failure: fail open, see above
        logger.warning("rate limit %s not enforced, cache unavailable: %s", group, exc)
        return
    if usage is None or not usage["should_limit"]:
        return
    if usage["limit"] == 0 and usage["time_left"] == -1:
        # django-ratelimit's answer when it could not read its counter: fail open.
        logger.warning("rate limit %s not enforced, counter unreadable", group)
        return
    _refuse(group, int(usage["time_left"]))


_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "120/m" -> (120, 60); "5/10s" -> (5, 10). Settings validated the format at start-up."""
    count, _, period = rate.partition("/")
    return int(count), int(period[:-1] or 1) * _UNIT_SECONDS[period[-1]]


@dataclass(frozen=True)
class Window:
    """The current fixed window of one counter: `group` for `value`, `period` seconds long."""

    group: str
    value: str
    period: int
    key: str
    time_left: float

    @classmethod
    def current(cls, group: str, value: str, period: int, now: float) -> Window:
        digest = hashlib.sha256(f"{group}:{value}".encode()).hexdigest()[:32]
        # The backend itself: `cache.` goes through a context-local proxy on every access.
        key = caches["default"].make_key(f"rl2:{group}:{digest}:{int(now // period)}")
        return cls(group, value, period, key, period - now % period)

    @property
    def counter(self) -> tuple[str, str, int]:
        return (self.group, self.value, self.period)


# (group, value, period) -> (hits in the current window including this one, seconds left)
Counts = dict[tuple[str, str, int], tuple[int, float]]


def queue_hits(pipe: Any, windows: Sequence[Window]) -> None:
    """Add one hit on each window to a Redis pipeline: SET NX EX, then INCR."""
    for window in windows:
        pipe.set(window.key, 0, ex=window.period, nx=True)
        pipe.incr(window.key)


def hit_counts(windows: Sequence[Window], results: Sequence[Any]) -> Counts:
    """What queue_hits' commands answered (`results` starts with the first SET)."""
    counts = [int(count) for count in results[1 : 2 * len(windows) : 2]]
    return {w.counter: (n, w.time_left) for w, n in zip(windows, counts, strict=True)}


def undo_hits(windows: Sequence[Window]) -> None:
    """Take back hits counted early for a request that then failed authentication, so a
    revoked token or a guessed key prefix cannot spend a tenant's allowance."""
    client = _redis_client()
    if client is None or not windows:
        return
    pipe = client.pipeline(transaction=False)
    for window in windows:
        pipe.decr(window.key)
    try:
        pipe.execute()
    except Exception as exc:  # noqa: BLE001 - the hits stay counted; nothing else breaks
        logger.warning("rate-limit hits not taken back, Redis unavailable: %s", exc)


def enforce_many(
    request: Any, limits: Sequence[tuple[str, str, str | None]], counted: Counts | None = None
) -> None:
    """Count one hit on each (group, key_value, rate) in a single Redis round trip.

    The authenticated API checks a tenant and an API-key limit on every call;
    through django-ratelimit that is two round trips per counter. On Redis this
    pipelines SET NX EX + INCR for every counter (fixed windows, like
    django-ratelimit's); on any other cache it falls back to `enforce`. Counters
    already hit in this request (`counted`: the authentication's round trip carried
    them) are only compared with their limit. Fails open exactly like `enforce`.
    """
    active = [(group, value or "unknown", rate) for group, value, rate in limits if rate]
    if not active or not getattr(settings, "RATELIMIT_ENABLE", True):
        return
    counted = counted or {}
    now = time.time()
    pending = []
    checks: list[tuple[tuple[str, str, int], int]] = []
    for group, value, rate in active:
        limit, period = parse_rate(rate)
        checks.append(((group, value, period), limit))
        if (group, value, period) not in counted:
            pending.append((group, value, rate))
    if pending:
        counted = {**counted, **_count(request, pending, now)}
    for counter, limit in checks:
        if counter in counted and counted[counter][0] > limit:
            _refuse(counter[0], int(counted[counter][1]))


def _count(request: Any, limits: list[tuple[str, str, str]], now: float) -> Counts:
    client = _redis_client()
    if client is None:
        for group, value, rate in limits:
            enforce(request, group, value, rate)  # refuses by itself
        return {}
    windows = [Window.current(g, v, parse_rate(rate)[1], now) for g, v, rate in limits]
    pipe = client.pipeline(transaction=False)
    queue_hits(pipe, windows)
    try:
        return hit_counts(windows, pipe.execute())
    except Exception as exc:  # noqa: BLE001 - any Redis failure: fail open, see above
        logger.warning("rate limits %s not enforced, Redis unavailable: %s", limits, exc)
        return {}


def _redis_client() -> Any:
    if not settings.REDIS_URL:
        return None
    try:
        from django_redis import get_redis_connection

        return get_redis_connection("default")
    except Exception:  # noqa: BLE001 - not a django-redis cache: use the generic path
        return None


def _refuse(group: str, time_left: int) -> None:
    retry_after = max(1, time_left)
    RATE_LIMIT_HITS.labels(group=group).inc()
    raise ApiError(
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
