"""Django's PostgreSQL backend, with health checks only for connections that sat idle.

Django's `CONN_HEALTH_CHECKS` runs `SELECT 1` before the first query of *every* request:
one more database round trip than a metered API read needs (measured: ~6 % of a worker's
CPU on `GET /api/lattices/{id}`, docs/performance.md). A persistent connection that
served a request moments ago is almost certainly alive, so this backend checks only
connections idle for longer than `HEALTH_CHECK_AFTER_IDLE` seconds (the setting
`DB_HEALTH_CHECK_AFTER_IDLE`; 0 checks before every request, like Django).

What is given up: when PostgreSQL restarts under load, each worker's first query on its
old connection fails instead of reconnecting. That request is answered 503
`service_unavailable` (catalytic.api_errors) before anything was written, and Django
closes the broken connection when the request ends, so the next one reconnects.
"""

from __future__ import annotations

import time

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    _last_request_boundary: float = float("-inf")

    def close_if_unusable_or_obsolete(self) -> None:
        """Called when a request starts and when it ends (Django's request signals)."""
        now = time.monotonic()
        idle_for = now - self._last_request_boundary
        super().close_if_unusable_or_obsolete()
        self._last_request_boundary = now
        # The gap since the previous boundary is how long the connection sat unused
        # (or how long the request that just ended took): short means it answered
        # recently. Connections with errors were already checked by super().
        after_idle = float(self.settings_dict.get("HEALTH_CHECK_AFTER_IDLE", 0))
        if self.connection is not None and idle_for < after_idle:
            self.health_check_done = True
