"""Persistent PostgreSQL connections are checked (SELECT 1) only after sitting idle.

A connection that served a request moments ago skips the check; one idle for longer
than HEALTH_CHECK_AFTER_IDLE is checked, so a backend that died meanwhile is replaced
before the request's first query instead of failing it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import OperationalError, connection

from catalytic.db.postgresql import base as backend

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend"),
]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(backend.time, "monotonic", fake)
    return fake


@pytest.fixture
def worker_connection() -> Iterator[Any]:
    """A connection of its own, in autocommit like a gunicorn worker's between requests."""
    settings_dict = {
        **connection.settings_dict,
        "HEALTH_CHECK_AFTER_IDLE": 5.0,
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
    }
    conn = backend.DatabaseWrapper(settings_dict, alias="health-check-test")
    yield conn
    conn.close()


def request(conn: Any) -> int:
    """What one request does: start signal, a query, end signal."""
    conn.close_if_unusable_or_obsolete()
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]
    finally:
        conn.close_if_unusable_or_obsolete()


def kill_backend(pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


def count_checks(monkeypatch: pytest.MonkeyPatch, conn: Any) -> list[bool]:
    checks: list[bool] = []
    original = conn.is_usable

    def counted() -> bool:
        checks.append(usable := original())
        return usable

    monkeypatch.setattr(conn, "is_usable", counted)
    return checks


def test_a_connection_in_steady_use_is_not_checked(worker_connection, clock, monkeypatch):
    pid = request(worker_connection)
    checks = count_checks(monkeypatch, worker_connection)
    for _ in range(3):
        clock.now += 1.0
        assert request(worker_connection) == pid
    assert checks == []


def test_an_idle_connection_is_checked_and_a_dead_one_replaced(
    worker_connection, clock, monkeypatch
):
    pid = request(worker_connection)
    checks = count_checks(monkeypatch, worker_connection)
    kill_backend(pid)
    clock.now += 6.0  # idle longer than HEALTH_CHECK_AFTER_IDLE
    new_pid = request(worker_connection)  # no error: the check found it dead
    assert checks == [False]
    assert new_pid != pid


def test_a_recently_used_connection_the_server_ended_is_replaced_within_the_request(
    worker_connection, clock
):
    pid = request(worker_connection)
    kill_backend(pid)  # what a restart does to an idle session: admin_shutdown (57P01)
    clock.now += 1.0  # too recent to be health-checked

    new_pid = request(worker_connection)  # the first statement is sent again, on a new one

    assert new_pid != pid
    assert worker_connection.connection is not None  # kept for the next request


def test_a_session_ended_after_the_request_used_it_still_fails(worker_connection, clock):
    pid = request(worker_connection)
    clock.now += 1.0
    worker_connection.close_if_unusable_or_obsolete()  # a new request begins
    with worker_connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # the request has used the connection
    kill_backend(pid)

    with pytest.raises(OperationalError), worker_connection.cursor() as cursor:
        cursor.execute("SELECT 2")  # answered 503 by the API's error handler
    worker_connection.close_if_unusable_or_obsolete()  # the request ends
    assert worker_connection.connection is None  # closed: the next request reconnects
    assert request(worker_connection) != pid


def test_a_session_ended_inside_a_transaction_is_not_resent(worker_connection, clock):
    from django.db import connections, transaction

    pid = request(worker_connection)
    kill_backend(pid)
    clock.now += 1.0
    worker_connection.close_if_unusable_or_obsolete()
    connections[worker_connection.alias] = worker_connection
    try:
        with (
            pytest.raises(OperationalError),
            transaction.atomic(using=worker_connection.alias),
            worker_connection.cursor() as cursor,
        ):
            cursor.execute("SELECT 1")
    finally:
        del connections[worker_connection.alias]


def test_a_connection_that_vanished_is_not_resent(worker_connection, clock):
    request(worker_connection)
    clock.now += 1.0
    worker_connection.close_if_unusable_or_obsolete()
    worker_connection.connection.pgconn.finish()  # gone without a word from the server

    with pytest.raises(OperationalError), worker_connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def test_zero_checks_before_every_request(worker_connection, clock, monkeypatch):
    worker_connection.settings_dict["HEALTH_CHECK_AFTER_IDLE"] = 0.0
    request(worker_connection)
    checks = count_checks(monkeypatch, worker_connection)
    for _ in range(2):
        clock.now += 0.01
        request(worker_connection)
    assert checks == [True, True]
