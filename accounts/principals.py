"""Per-process cache of the principals behind tokens and API keys.

Loading the membership with its user, tenant, subscription and plan is the most
expensive part of an authenticated request (the ORM compiles a five-table join every
time). Each worker therefore keeps recently used principals, tagged with the access
versions they were loaded under (accounts.revocation.auth_state). An entry is served
only when the tag read in *this* request's Redis round trip equals the stored one, so a
logout, removal, role change, suspension or key revocation on any worker is seen on the
very next request. Without a shared Redis (or when it is down or was flushed) there is
no tag and the caller asks the database.

Entries are stored pickled and unpickled per request: a view that mutates
`request.user` or the tenant (and then rolls back) cannot leak that state into the
next request.
"""

from __future__ import annotations

import pickle
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class PrincipalCache:
    """A small thread-safe LRU of pickled objects, each valid under one tag."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[tuple[Any, ...], bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, tag: tuple[Any, ...]) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] != tag:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            blob = entry[1]
        return pickle.loads(blob)  # noqa: S301 - our own bytes, never from a client

    def put(self, key: Hashable, tag: tuple[Any, ...], value: Any) -> None:
        blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._entries[key] = (tag, blob)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


# (user_id, tenant_id) -> Membership with user, tenant, subscription and plan loaded.
MEMBERSHIPS = PrincipalCache(size=20_000)
# key prefix -> ApiKey with tenant, subscription, plan and creator loaded.
API_KEYS = PrincipalCache(size=20_000)
# key prefix -> (tenant_id, created_by_id, key id): facts needed to name the versions to
# read (and the rate-limit windows to count) before the key is loaded. A key never moves
# tenant; its creator only goes to NULL, which bumps that user's version and reloads the
# entry.
API_KEY_OWNERS: dict[str, tuple[Any, Any, Any]] = {}
API_KEY_OWNERS_MAX = 50_000


def clear_all() -> None:
    MEMBERSHIPS.clear()
    API_KEYS.clear()
    API_KEY_OWNERS.clear()
