"""A worker's persistent PostgreSQL connection that the server ended while it sat idle
(a restart, pg_terminate_backend) is replaced before the next request uses it: that
request succeeds. The check reads the connection's socket (catalytic/postgresql): a
connection the server did not end is reused without a query.

Requests go through Django's WSGI handler, as under gunicorn: the test client would
skip the request_started signal on which Django checks its connections.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, connections
from django.test import RequestFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's sessions"),
]


def serve(path: str) -> int:
    """One request through the WSGI handler; its HTTP status."""
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        statuses.append(status)

    body = WSGIHandler()(RequestFactory().get(path).environ, start_response)
    b"".join(body)
    body.close()
    return int(statuses[0].split()[0])


@pytest.fixture
def other_session() -> Iterator[Any]:
    """A second connection, the way an operator's psql would be."""
    other = connections.create_connection("default")
    yield other
    other.close()


def backend_pid() -> int:
    assert connection.connection is not None, "the worker kept no connection"
    return connection.connection.info.backend_pid


def terminate(other: Any, pid: int) -> None:
    with other.cursor() as cursor:
        # With a timeout, PostgreSQL returns once the session has ended (and said so).
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
        assert cursor.fetchone() == (True,)


def test_connections_are_kept_and_health_checked():
    assert connection.settings_dict["CONN_MAX_AGE"] > 0
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def test_the_request_after_the_server_ended_the_idle_session_succeeds(other_session):
    assert serve("/api/plans") == 200
    pid = backend_pid()
    terminate(other_session, pid)

    assert serve("/api/plans") == 200
    assert backend_pid() != pid
    assert serve("/api/plans") == 200


def test_a_kept_connection_the_server_did_not_end_is_reused_without_a_query(monkeypatch):
    assert serve("/api/plans") == 200
    kept = connection.connection
    queries: list[str] = []
    execute = kept.execute
    cursor = kept.cursor

    def spied_cursor(*args: Any, **kwargs: Any) -> Any:
        queries.append("cursor")
        return cursor(*args, **kwargs)

    monkeypatch.setattr(kept, "cursor", spied_cursor)
    monkeypatch.setattr(kept, "execute", lambda *a, **k: queries.append("sql") or execute(*a, **k))
    connection.close_if_unusable_or_obsolete()  # what request_started does
    connection.close_if_health_check_failed()  # what the request's first query does

    assert connection.connection is kept
    assert queries == []  # the stock check would have run SELECT 1


def test_a_connection_with_the_servers_goodbye_waiting_is_replaced(other_session):
    assert serve("/api/plans") == 200
    pid = backend_pid()
    terminate(other_session, pid)

    connection.close_if_unusable_or_obsolete()
    connection.close_if_health_check_failed()

    assert connection.connection is None  # closed; the next query opens a new one
    assert serve("/api/plans") == 200
    assert backend_pid() != pid
