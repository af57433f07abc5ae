"""Each worker's cache of the principals behind access tokens, valid while their stamps hold.

Loading a member with its user, tenant, subscription, plan and session is most of an
authenticated read's work (docs/performance.md). Each worker therefore keeps the members
it served, tagged with *access stamps*: counters in the shared cache (Redis) that every
write changing who may do what increments, through the model signals connected in
`connect_signals` (and `bump` where code uses `QuerySet.update()`). A request reads the
stamps of its user and tenant in one round trip and uses the kept member only when they
equal the ones it was loaded under, so a logout, removal, role or plan change made on any
node is seen by every node on the very next request.

Correctness rests on three rules. Stamps are read *before* a member is loaded, so a write
racing with the load leaves an entry that no longer matches. A write increments its stamps
both at once and after its transaction commits, so a load that read the old rows in
between is dropped too. Every tag includes an epoch, a random value set when the shared
cache holds none (first start, or after a flush): what was learned before a flush is
never trusted after it.

Within one request the stamps are read once. Apps above this one name the stamps of
their own per-tenant data (`read_with_tenant`), which are fetched in the same round trip
as the member's and answered from that reading for the rest of the request: the reading
starts empty at `request_started` and is dropped at `request_finished`, and outside a
request every call asks the shared cache.

Without REDIS_URL the cache is per process and cannot see other workers' writes: nothing
is kept and every request asks the database. When Redis is unreachable, likewise.
SECURITY: when a stamp cannot be incremented (Redis down during a write), this process
drops the epoch at its next chance, and entries never outlive PRINCIPAL_MAX_AGE, which
bounds how long any other worker could still use a member changed during an outage.
Run this Redis with `maxmemory-policy noeviction`.
"""

from __future__ import annotations

import logging
import pickle
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from accounts.models import ApiKey, TokenFamily, User
from tenants.models import Membership, Tenant

logger = logging.getLogger(__name__)

EPOCH = "auth:epoch"
ALL_TENANTS = "auth:plans"  # plan rows: every tenant's limits


def user_stamp(user_id: Any) -> str:
    return f"auth:u:{user_id}"


def tenant_stamp(tenant_id: Any) -> str:
    return f"auth:t:{tenant_id}"


def api_key_stamp(prefix: str) -> str:
    return f"auth:k:{prefix}"


class Stamps:
    """Reads and increments the access stamps; remembers a missed increment."""

    def __init__(self) -> None:
        self.missed = threading.Event()
        # Per-tenant stamps of other apps, read together with a tenant's own.
        self.tenant_companions: list[Callable[[Any], str]] = []
        # This thread's current request's reading: None outside a request.
        self._reading = threading.local()

    def begin_request(self, **kwargs: Any) -> None:
        self._reading.found = {}

    def end_request(self, **kwargs: Any) -> None:
        self._reading.found = None

    def tag(self, *keys: str, tenant: Any = None) -> tuple[Any, ...] | None:
        """The current stamps of `keys` (with the epoch), or None when nothing may be trusted.

        With `tenant`, the other apps' stamps of that tenant (`read_with_tenant`) are read
        in the same round trip, for this request to ask for later.
        """
        if not settings.REDIS_URL:
            return None
        wanted = (EPOCH, ALL_TENANTS, *keys)
        reading = getattr(self._reading, "found", None)
        if reading is not None and all(key in reading for key in wanted):
            found = reading
        else:
            companions = []
            if tenant is not None:
                companions = [stamp(tenant) for stamp in self.tenant_companions]
            try:
                if self.missed.is_set():
                    cache.delete(EPOCH)
                    self.missed.clear()
                found = cache.get_many([*wanted, *companions])
                if EPOCH not in found:
                    cache.add(EPOCH, uuid.uuid4().hex, None)
                    return None
            except Exception as exc:  # noqa: BLE001 - Redis down: the database answers
                logger.warning("access stamps unreadable, asking the database: %s", exc)
                return None
            if reading is not None:
                # A stamp never set reads as 0, now and for the rest of the request.
                reading.update({key: found.get(key, 0) for key in (*wanted, *companions)})
        return tuple(found.get(key, 0) for key in wanted)

    def bump(self, keys: Iterable[str]) -> None:
        """Increment these stamps now and again after the current transaction commits."""
        keys = list(keys)
        if not keys or not settings.REDIS_URL:
            return
        self._forget(keys)
        self._increment(keys)
        transaction.on_commit(lambda: self._increment(keys))

    def _forget(self, keys: list[str]) -> None:
        # A request that changes what it read must not go on trusting its reading.
        reading = getattr(self._reading, "found", None)
        if reading is not None:
            for key in keys:
                reading.pop(key, None)

    def _increment(self, keys: list[str]) -> None:
        try:
            for key in keys:
                cache.add(key, 0, None)
                cache.incr(key)
        except Exception as exc:  # noqa: BLE001 - see the module's SECURITY note
            self.missed.set()
            logger.warning("access stamps not incremented, cached members will be dropped: %s", exc)


STAMPS = Stamps()


def read_with_tenant(stamp: Callable[[Any], str]) -> None:
    """Read `stamp(tenant_id)` in the same round trip as a tenant's member or key stamps."""
    STAMPS.tenant_companions.append(stamp)


def bump(
    *,
    users: Iterable[Any] = (),
    tenants: Iterable[Any] = (),
    api_keys: Iterable[str] = (),
    all_tenants: bool = False,
) -> None:
    keys = [user_stamp(u) for u in users if u is not None]
    keys += [tenant_stamp(t) for t in tenants if t is not None]
    keys += [api_key_stamp(prefix) for prefix in api_keys]
    if all_tenants:
        keys.append(ALL_TENANTS)
    STAMPS.bump(keys)


class PrincipalCache:
    """A small thread-safe LRU of pickled objects, each valid under one tag for a while.

    Pickled so that a view that changes `request.user` or the tenant (then rolls back)
    cannot leak that state into the next request.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[tuple[Any, ...], float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, tag: tuple[Any, ...]) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] != tag or time.monotonic() - entry[1] > settings.PRINCIPAL_MAX_AGE:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            blob = entry[2]
        return pickle.loads(blob)  # noqa: S301 - our own bytes, never from a client

    def put(self, key: Hashable, tag: tuple[Any, ...], value: Any) -> None:
        blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._entries[key] = (tag, time.monotonic(), blob)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# (user, tenant, session) -> Membership with user, tenant, subscription and plan loaded.
MEMBERS = PrincipalCache(size=20_000)
# key prefix -> ApiKey with tenant, subscription, plan and creator loaded.
API_KEYS = PrincipalCache(size=20_000)


class ApiKeyOwners:
    """Which stamps guard a key: its tenant and creator, learned when it is first loaded.

    A key never moves to another tenant, and its creator only ever becomes NULL (which
    the creator's stamp announces), so these facts never go stale; they only name the
    stamps to read, and nothing is trusted from them.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._owners: dict[str, tuple[Any, Any]] = {}

    def get(self, prefix: str) -> tuple[Any, Any] | None:
        """(tenant id, creator id) of the key, once learned."""
        return self._owners.get(prefix)

    def learn(self, prefix: str, tenant_id: Any, creator_id: Any) -> None:
        if len(self._owners) >= self.size:
            self._owners.clear()
        self._owners[prefix] = (tenant_id, creator_id)


API_KEY_OWNERS = ApiKeyOwners(size=50_000)


def connect_signals() -> None:
    """Increment the stamps whenever a row a member is built from is saved or deleted.

    Subscriptions and plans belong to billing, which connects its own (billing.apps).
    """
    receivers = {
        User: lambda instance: bump(users=[instance.pk]),
        Membership: lambda instance: bump(users=[instance.user_id]),
        TokenFamily: lambda instance: bump(users=[instance.user_id]),
        ApiKey: lambda instance: bump(api_keys=[instance.prefix]),
        Tenant: lambda instance: bump(tenants=[instance.pk]),
    }
    for model, receiver in receivers.items():
        connect_model(model, receiver)
    request_started.connect(STAMPS.begin_request, dispatch_uid="principals-begin")
    request_finished.connect(STAMPS.end_request, dispatch_uid="principals-end")


def connect_model(model: type, receiver: Any) -> None:
    """Call `receiver(instance)` after every save and delete of `model`."""

    def on_change(sender: Any, instance: Any, **kwargs: Any) -> None:
        receiver(instance)

    uid = f"principals-{model._meta.label_lower}"
    post_save.connect(on_change, sender=model, weak=False, dispatch_uid=uid)
    post_delete.connect(on_change, sender=model, weak=False, dispatch_uid=uid)
