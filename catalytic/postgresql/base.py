"""Django's PostgreSQL backend, subclassed as Django documents ("Subclassing the built-in
database backends"), for one reason: the health check of a kept connection.

With CONN_HEALTH_CHECKS, Django asks `is_usable()` before a request's first query on a
connection it kept from an earlier request, and the stock answer is a `SELECT 1` round
trip: on the API's hot path that was one statement in four. A connection that the
server ended while it sat idle (a restart, `pg_terminate_backend`, an idle timeout, a
pooler closing it) has something to read on its socket: the server's FATAL message and
the end of the stream. So a kept connection with nothing to read is usable as far as a
`SELECT 1` could tell, and costs a `poll()`; one with input waiting (or already known
closed or broken) gets the stock round trip, which reads that input and decides. A
silently dead network path looks the same to both checks: `SELECT 1` would hang on it
too.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


def has_input(fileno: int) -> bool:
    """The socket has bytes to read, or is closed or in error, right now."""
    poller = select.poll()
    poller.register(fileno, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))  # POLLHUP and POLLERR are always reported


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if has_input(connection.fileno()):
            return super().is_usable()
        return True
