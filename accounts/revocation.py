"""The access-token denylist: Redis for speed, the database for truth.

A logged-out access token must be refused on its very next use, on every
worker, until it expires. Each revoked `jti` is written twice:
- a `RevokedAccessToken` row (durable: survives a Redis flush or outage), and
- a cache key with a TTL until the token's `exp` (fast: no query needed).

Reading (`cached_verdict`) asks the cache first. The cache can only answer "not
revoked" when it holds the warm-up marker, which is set after every revoked row
has been copied into it; a flushed Redis loses the marker with the keys, so the
caller asks the database (in the query it makes anyway) and the cache is
re-warmed. When REDIS_URL is unset the cache is per process and cannot know
about a logout served by another worker, so the database is always asked.

SECURITY: run this Redis with `maxmemory-policy noeviction`. Under an eviction
policy Redis may drop a denylist key while keeping the marker, and that one
token would be accepted again until it expires.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.models import RevokedAccessToken

logger = logging.getLogger(__name__)

KEY_PREFIX = "jwt:deny:"
WARM_MARKER = "jwt:deny:warm"
WARMING_LOCK = "jwt:deny:warming"
WARMING_LOCK_SECONDS = 30


class Verdict(enum.Enum):
    REVOKED = "revoked"
    CLEAR = "clear"
    # The cache cannot say: it is down, per-process, or was flushed. Ask the database.
    UNKNOWN = "unknown"
    COLD = "cold"


def _key(jti: str) -> str:
    return f"{KEY_PREFIX}{jti}"


def cache_is_shared() -> bool:
    return bool(settings.REDIS_URL)


def as_datetime(expires_at: datetime | int | float) -> datetime:
    if isinstance(expires_at, datetime):
        return expires_at
    return datetime.fromtimestamp(expires_at, tz=UTC)


def denylist(tokens: Iterable[tuple[str, datetime | int | float]]) -> int:
    """Refuse these access tokens (jti, exp) until they expire; returns how many were live."""
    now = timezone.now()
    live = {jti: as_datetime(exp) for jti, exp in tokens if jti and as_datetime(exp) > now}
    if not live:
        return 0
    RevokedAccessToken.objects.bulk_create(
        [RevokedAccessToken(jti=jti, expires_at=exp) for jti, exp in live.items()],
        ignore_conflicts=True,
    )
    if cache_is_shared():
        _cache_denied(live)
        # Again after commit: a warm-up that ran before the rows were visible has
        # set the marker without these keys.
        transaction.on_commit(lambda: _cache_denied(live))
    return len(live)


def _cache_denied(live: dict[str, datetime]) -> None:
    now = timezone.now()
    try:
        for jti, exp in live.items():
            cache.set(_key(jti), 1, max(1, int((exp - now).total_seconds()) + 1))
    except Exception as exc:  # noqa: BLE001 - the database row already holds it
        logger.warning("denylist cache write failed, the database still has it: %s", exc)


def cached_verdict(jti: str) -> Verdict:
    if not cache_is_shared():
        return Verdict.UNKNOWN
    try:
        found = cache.get_many([WARM_MARKER, _key(jti)])
    except Exception as exc:  # noqa: BLE001 - Redis down: the database answers
        logger.warning("denylist cache unreachable, asking the database: %s", exc)
        return Verdict.UNKNOWN
    if _key(jti) in found:
        return Verdict.REVOKED
    if WARM_MARKER in found:
        return Verdict.CLEAR
    return Verdict.COLD


def is_revoked_in_database(jti: str) -> bool:
    return RevokedAccessToken.objects.filter(jti=jti, expires_at__gt=timezone.now()).exists()


def warm_cache() -> None:
    """Copy every live revoked jti into the cache, then set the marker (one worker at a time)."""
    if not cache_is_shared():
        return
    try:
        if not cache.add(WARMING_LOCK, 1, WARMING_LOCK_SECONDS):
            return
        now = timezone.now()
        rows = RevokedAccessToken.objects.filter(expires_at__gt=now).values_list(
            "jti", "expires_at"
        )
        for jti, expires_at in rows.iterator():
            cache.set(_key(jti), 1, max(1, int((expires_at - now).total_seconds()) + 1))
        cache.set(WARM_MARKER, now.isoformat(), None)
        cache.delete(WARMING_LOCK)
    except Exception as exc:  # noqa: BLE001 - stays cold; the database keeps answering
        logger.warning("denylist cache warm-up failed: %s", exc)


def backend_status() -> dict[str, object]:
    """For /api/auth/health: where revocations are checked, and whether it answers."""
    if not cache_is_shared():
        try:
            RevokedAccessToken.objects.exists()
            connected = True
        except Exception:  # noqa: BLE001
            connected = False
        return {"backend": "database", "connected": connected}
    try:
        cache.get(WARM_MARKER)
        connected = True
    except Exception:  # noqa: BLE001
        connected = False
    return {"backend": "redis", "connected": connected}
