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

The same round trip also fetches the *access versions* that let each worker keep
the principal behind a token (membership, user, tenant, plan; or an API key) in
memory instead of selecting it on every request (accounts.principals). Every
write that changes who may do what bumps a version (`bump_versions`, called
from model signals and from the services that use `QuerySet.update()`), once
at once and once after commit; a cached principal is used only while the
versions read in this request's MGET equal those it was loaded under, and the
warm marker's value (a new one after every Redis flush) is part of that tag.

SECURITY: run this Redis with `maxmemory-policy noeviction`. Under an eviction
policy Redis may drop a denylist key while keeping the marker, and that one
token would be accepted again until it expires; an evicted version key would
likewise let a worker keep a stale principal.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.db import transaction
from django.utils import timezone

from accounts.models import RevokedAccessToken
from catalytic import ratelimits

logger = logging.getLogger(__name__)

KEY_PREFIX = "jwt:deny:"
WARM_MARKER = "jwt:deny:warm"
WARMING_LOCK = "jwt:deny:warming"
WARMING_LOCK_SECONDS = 30
VERSION_PREFIX = "authver:"
# Bumped when plan rows change; part of every tag.
GLOBAL_VERSION = "authver:g"


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


# --- Access versions (see the module docstring) -----------------------------------------

# Set when a bump could not reach Redis: this process then drops the warm marker at its
# next chance, so every worker falls back to the database and re-warms under a new tag.
_missed_bump = False


def user_version_key(user_id: Any) -> str:
    return f"{VERSION_PREFIX}u:{user_id}"


def tenant_version_key(tenant_id: Any) -> str:
    return f"{VERSION_PREFIX}t:{tenant_id}"


def api_key_version_key(prefix: str) -> str:
    return f"{VERSION_PREFIX}k:{prefix}"


def tenant_data_version_key(tenant_id: Any) -> str:
    """Bumped when a tenant's product objects change (lattices/api/cache.py)."""
    return f"{VERSION_PREFIX}d:{tenant_id}"


def bump_versions(
    *,
    users: Iterable[Any] = (),
    tenants: Iterable[Any] = (),
    api_keys: Iterable[str] = (),
    tenant_data: Iterable[Any] = (),
    everything: bool = False,
) -> None:
    """Invalidate cached principals of these users, tenants and API-key prefixes.

    Bumped at once (a concurrent request reloads, possibly still seeing the old rows) and
    again after commit (the reload that follows sees the new rows). Outside a transaction
    the second bump runs immediately, which is harmless.
    """
    if not cache_is_shared():
        return  # no shared versions: the authentication path always asks the database
    keys = [user_version_key(u) for u in users if u is not None]
    keys += [tenant_version_key(t) for t in tenants if t is not None]
    keys += [api_key_version_key(k) for k in api_keys if k]
    keys += [tenant_data_version_key(t) for t in tenant_data if t is not None]
    if everything:
        keys.append(GLOBAL_VERSION)
    if not keys:
        return
    _incr(keys)
    transaction.on_commit(lambda: _incr(keys))


def _incr(keys: list[str]) -> None:
    global _missed_bump
    try:
        from django_redis import get_redis_connection

        pipe = get_redis_connection("default").pipeline(transaction=False)
        for key in keys:
            pipe.incr(cache.make_key(key))
        pipe.execute()
    except Exception as exc:  # noqa: BLE001 - see _missed_bump
        _missed_bump = True
        logger.warning("access version bump failed, caches will be dropped: %s", exc)


@dataclass(frozen=True)
class AuthState:
    verdict: Verdict
    # Warm marker + global version: None when the cache cannot vouch for anything.
    base: tuple[Any, ...] | None = None
    versions: dict[str, Any] | None = None
    # Rate-limit hits made in the same round trip (catalytic.ratelimits.Counts).
    rate_counts: dict[Any, Any] | None = None

    def tag(self, *keys: str) -> tuple[Any, ...] | None:
        """What a cached object depending on these version keys must have been loaded under."""
        if self.base is None or self.versions is None:
            return None
        return self.base + tuple(self.versions.get(k, 0) for k in keys)


def auth_state(
    jti: str | None, version_keys: list[str], windows: Sequence[ratelimits.Window] = ()
) -> AuthState:
    """One Redis round trip: denylist verdict for `jti` (if any), the access versions and
    one hit on each rate-limit window (so the API's throttle needs no round trip)."""
    global _missed_bump
    if not cache_is_shared():
        return AuthState(Verdict.UNKNOWN)
    keys = [WARM_MARKER, GLOBAL_VERSION, *version_keys]
    if jti:
        keys.append(_key(jti))
    try:
        if _missed_bump:
            cache.delete(WARM_MARKER)
            _missed_bump = False
        # The raw client's MGET: values are compared, never decoded (django-redis's
        # get_many would unpickle each one), and the call is one round trip.
        from django_redis import get_redis_connection

        client = get_redis_connection("default")
        # One lookup of the backend: every `cache.` access goes through a context-local proxy.
        make_key = caches["default"].make_key
        redis_keys = [make_key(k) for k in keys]
        if windows:
            pipe = client.pipeline(transaction=False)
            pipe.mget(redis_keys)
            ratelimits.queue_hits(pipe, windows)
            results = pipe.execute()
            values, counts = results[0], ratelimits.hit_counts(windows, results[1:])
        else:
            values, counts = client.mget(redis_keys), None
    except Exception as exc:  # noqa: BLE001 - Redis down: the database answers
        logger.warning("denylist cache unreachable, asking the database: %s", exc)
        return AuthState(Verdict.UNKNOWN)
    found = {key: value for key, value in zip(keys, values, strict=True) if value is not None}
    if jti and _key(jti) in found:
        return AuthState(Verdict.REVOKED, rate_counts=counts)
    if WARM_MARKER not in found:
        return AuthState(Verdict.COLD, rate_counts=counts)
    base = (found[WARM_MARKER], found.get(GLOBAL_VERSION, 0))
    return AuthState(Verdict.CLEAR, base, found, rate_counts=counts)


def connect_invalidation_signals() -> None:
    """Bump versions whenever a row a principal is built from is saved or deleted.

    `QuerySet.update()` sends no signal: services that use it call bump_versions().
    """
    from django.db.models.signals import post_delete, post_save

    from accounts.models import ApiKey, User
    from billing.models import Plan, Subscription
    from tenants.models import Membership, Tenant

    def on_user(sender: Any, instance: Any, **kwargs: Any) -> None:
        bump_versions(users=[instance.pk])

    def on_membership(sender: Any, instance: Any, **kwargs: Any) -> None:
        bump_versions(users=[instance.user_id])

    def on_tenant(sender: Any, instance: Any, **kwargs: Any) -> None:
        bump_versions(tenants=[instance.pk])

    def on_subscription(sender: Any, instance: Any, **kwargs: Any) -> None:
        bump_versions(tenants=[instance.tenant_id])

    def on_api_key(sender: Any, instance: Any, **kwargs: Any) -> None:
        bump_versions(api_keys=[instance.prefix])

    def on_plan(sender: Any, instance: Any, **kwargs: Any) -> None:
        bump_versions(everything=True)

    receivers = [
        (User, on_user),
        (Membership, on_membership),
        (Tenant, on_tenant),
        (Subscription, on_subscription),
        (ApiKey, on_api_key),
        (Plan, on_plan),
    ]
    for model, receiver in receivers:
        uid = f"authver-{model._meta.label_lower}"
        post_save.connect(receiver, sender=model, weak=False, dispatch_uid=uid)
        post_delete.connect(receiver, sender=model, weak=False, dispatch_uid=uid)
