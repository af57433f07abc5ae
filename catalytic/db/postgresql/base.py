"""Django's PostgreSQL backend, with health checks only for connections that sat idle.

Django's `CONN_HEALTH_CHECKS` runs `SELECT 1` before the first query of *every* request:
one more database round trip than a metered API read needs (measured: ~6 % of a worker's
CPU on `GET /api/lattices/{id}`, docs/performance.md). A persistent connection that
served a request moments ago is almost certainly alive, so this backend checks only
connections idle for longer than `HEALTH_CHECK_AFTER_IDLE` seconds (the setting
`DB_HEALTH_CHECK_AFTER_IDLE`; 0 checks before every request, like Django).

What that gives up is won back where it is safe: when PostgreSQL restarts (or an operator
ends the session), the server closes each idle connection with `admin_shutdown` (57P01)
or `crash_shutdown` (57P02), and the worker learns of it from its next statement. That
statement never ran: the server had ended the session before reading it, and a statement
that was running when the shutdown came is rolled back, never committed. So the first
statement of a request, outside a transaction, is sent once more on a fresh connection.
Any other failure (inside a transaction, after this request already used the
connection, a connection that just vanished) is left to the caller: a 503
`service_unavailable` (catalytic.api_errors) before anything was written, and Django
closes the broken connection when the request ends.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import OperationalError
from django.db.backends.postgresql import base
from django.db.backends.utils import CursorWrapper as BaseCursorWrapper

logger = logging.getLogger(__name__)

# SQLSTATEs with which the server ends a session before running what comes next.
SESSION_ENDED_BY_SERVER = frozenset({"57P01", "57P02"})


class _ReplacesEndedSession:
    """Cursor wrapper part: resend a request's first statement after the server ended
    the session (see the module docstring for why that is safe)."""

    db: DatabaseWrapper
    cursor: Any

    def _execute(self, sql: Any, params: Any, *ignored_wrapper_args: Any) -> Any:
        first = not self.db.used_since_boundary
        self.db.used_since_boundary = True
        try:
            return super()._execute(sql, params, *ignored_wrapper_args)  # type: ignore[misc]
        except OperationalError as exc:
            if not (first and self.db.may_replace_after(exc)):
                raise
            logger.warning("database session ended by the server (%s); reconnecting", exc)
            self.db.close()
            self.db.ensure_connection()
            self.cursor = self.db.create_cursor()
            return super()._execute(sql, params, *ignored_wrapper_args)  # type: ignore[misc]


class CursorWrapper(_ReplacesEndedSession, BaseCursorWrapper):
    pass


class CursorDebugWrapper(_ReplacesEndedSession, base.CursorDebugWrapper):
    pass


class DatabaseWrapper(base.DatabaseWrapper):
    _last_request_boundary: float = float("-inf")
    # Whether a statement was sent on this connection since the request began.
    used_since_boundary = False

    def close_if_unusable_or_obsolete(self) -> None:
        """Called when a request starts and when it ends (Django's request signals)."""
        now = time.monotonic()
        idle_for = now - self._last_request_boundary
        super().close_if_unusable_or_obsolete()
        self._last_request_boundary = now
        self.used_since_boundary = False
        # The gap since the previous boundary is how long the connection sat unused
        # (or how long the request that just ended took): short means it answered
        # recently. Connections with errors were already checked by super().
        after_idle = float(self.settings_dict.get("HEALTH_CHECK_AFTER_IDLE", 0))
        if self.connection is not None and idle_for < after_idle:
            self.health_check_done = True

    def may_replace_after(self, exc: OperationalError) -> bool:
        """Whether `exc` says the server ended the session, with no transaction open."""
        sqlstate = getattr(exc.__cause__, "sqlstate", None)
        return sqlstate in SESSION_ENDED_BY_SERVER and not self.in_atomic_block

    def make_cursor(self, cursor: Any) -> CursorWrapper:
        return CursorWrapper(cursor, self)

    def make_debug_cursor(self, cursor: Any) -> CursorDebugWrapper:
        return CursorDebugWrapper(cursor, self)
