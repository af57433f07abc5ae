"""Dependencies fail under a running app (gunicorn, production settings); it keeps
serving what it can, answers cleanly what it cannot, loses nothing, and recovers
without a restart. See tests/faults/conftest.py for the harness.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import threading
import time
from typing import Any

import pytest

from tests.billing.fake_stripe import fixture, sign
from tests.faults.conftest import OWNER_EMAIL, WEBHOOK_SECRET, Stack, ThreadedLoad, wait_for

pytestmark = pytest.mark.faults


def family_of(token: str) -> str:
    """The sign-in session an access token belongs to (its `family` claim)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["family"]


def bad_logins(live: Stack, count: int) -> list[int]:
    body = {"email": OWNER_EMAIL, "password": "not-the-password"}
    return [live.app.request("POST", "/api/tenants/login", body)[0] for _ in range(count)]


def tenant_consistency(live: Stack, prefix: str) -> tuple[set[str], int, int]:
    """(names of lattices with `prefix`, lattice rows, their lattice.created audit events)."""
    names = {
        row[0]
        for row in live.postgres.query(
            "SELECT name FROM lattices_lattice WHERE name LIKE %s", prefix + "%"
        )
    }
    [(lattices,)] = live.postgres.query("SELECT count(*) FROM lattices_lattice")
    [(created,)] = live.postgres.query(
        "SELECT count(*) FROM tenants_auditevent WHERE action = 'lattice.created'"
    )
    return names, lattices, created


@pytest.fixture
def fresh(live: Stack) -> Stack:
    live.redis.flush()
    return live


# --- 1. Redis down ----------------------------------------------------------------------


def test_redis_down_keeps_serving_keeps_revocations_and_fails_limits_open(fresh):
    live = fresh
    app = live.app
    token = app.login()["access_token"]
    doomed = app.login()["access_token"]
    assert app.request("GET", "/health")[0] == 200

    live.redis.stop()
    try:
        # Requests are served, JWTs verified; health says degraded with a 503.
        assert [app.request("GET", "/api/lattices", token=token)[0] for _ in range(4)] == [200] * 4
        status, health = app.request("GET", "/health")
        assert (status, health["status"], health["redis"]["connected"]) == (503, "degraded", False)
        # Logout while Redis is down still revokes: the database has it.
        assert app.request("POST", "/api/tenants/logout", {}, token=doomed)[0] == 204
        assert [app.request("GET", "/api/lattices", token=doomed)[0] for _ in range(4)] == [401] * 4
        assert live.postgres.query(
            "SELECT 1 FROM accounts_tokenfamily WHERE id = %s AND revoked_at IS NOT NULL",
            family_of(doomed),
        )
        # Rate limiting fails open (5 tries against a 3/m limit), and says so in the log.
        assert bad_logins(live, 5) == [401] * 5
        assert "not enforced" in app.log.read_text()
    finally:
        live.redis.start()

    # Redis is back, empty: everything resumes without restarting the app.
    wait_for(lambda: app.request("GET", "/health")[0] == 200, 15, "health to say healthy")
    assert [app.request("GET", "/api/lattices", token=doomed)[0] for _ in range(4)] == [401] * 4
    assert app.request("GET", "/api/lattices", token=token)[0] == 200
    assert bad_logins(live, 4) == [401, 401, 401, 429]
    live.redis.flush()


# --- 2. PostgreSQL restarted under load -------------------------------------------------


class Load(ThreadedLoad):
    """Threads creating and listing lattices as fast as they can, every answer kept."""

    def __init__(self, live: Stack, token: str, prefix: str, threads: int = 3) -> None:
        super().__init__(threads)
        self.live, self.token, self.prefix = live, token, prefix
        self.answers: list[tuple[str | None, int, Any]] = []
        # Statuses of the requests sent after `recovered_at` (set by the test).
        self.recovered_at: float | None = None
        self.after_recovery: list[int] = []

    def run(self, number: int) -> None:
        app, sequence = self.live.app, 0
        while not self.stop.is_set():
            sequence += 1
            name = f"{self.prefix}{number}-{sequence}"
            body = {"name": name, "dimensions": 2, "size": 3}
            sent = time.monotonic()
            created = app.request("POST", "/api/lattices", body, token=self.token, timeout=20)
            self.keep(sent, name, created)
            sent = time.monotonic()
            listed = app.request("GET", "/api/lattices", token=self.token, timeout=20)
            self.keep(sent, None, listed)

    def keep(self, sent: float, name: str | None, answer: tuple[int, Any]) -> None:
        with self.lock:
            self.answers.append((name, *answer))
            if self.recovered_at is not None and sent > self.recovered_at:
                self.after_recovery.append(answer[0])

    def statuses(self) -> set[int]:
        return {status for _, status, _ in self.answers}


def assert_nothing_half_applied(live: Stack, load: Load) -> None:
    acknowledged = {name for name, status, _ in load.answers if name and status == 201}
    refused = {name for name, status, _ in load.answers if name and status == 503}
    unknown = {name for name, status, _ in load.answers if name and status == 0}
    stored, lattices, created = tenant_consistency(live, load.prefix)

    assert acknowledged <= stored  # nothing committed was lost
    assert not (refused & stored)  # a 503 changed nothing
    assert stored <= acknowledged | unknown  # only a dropped connection leaves doubt
    assert lattices == created  # every lattice has its audit event: no half transaction


def test_postgres_restart_under_load_answers_503_and_recovers_without_restart(live):
    app = live.app
    token = app.login()["access_token"]
    master = app.process.pid

    with Load(live, token, "pg-") as load:
        time.sleep(1.0)
        live.postgres.stop()
        time.sleep(2.0)
        live.postgres.start()
        wait_for(
            lambda: app.request("GET", "/api/lattices", token=token)[0] == 200,
            20,
            "the API to answer again",
        )
        load.recovered_at = time.monotonic()
        time.sleep(1.5)

    failures = [(status, body) for _, status, body in load.answers if status not in (200, 201)]
    assert failures, "the restart was not felt: no request failed"
    assert load.statuses() <= {200, 201, 503}, failures[:5]
    assert all(body["error"]["code"] == "service_unavailable" for _, body in failures)
    assert app.process.pid == master and app.process.poll() is None
    assert_nothing_half_applied(live, load)
    # Once PostgreSQL is back every worker replaces its dead connection before using it.
    assert load.after_recovery, "no request was sent after the recovery"
    assert set(load.after_recovery) <= {200, 201}, load.after_recovery


def test_postgres_restarted_while_the_app_was_idle_fails_no_request(fresh):
    live = fresh  # a clean login rate limit: the harness allows 3 logins a minute
    app = live.app
    token = app.login()["access_token"]

    def burst() -> list[int]:
        """Concurrent requests, so that every worker serves some and keeps a connection."""
        statuses: list[int] = []

        def run() -> None:
            for _ in range(5):
                statuses.append(app.request("GET", "/api/lattices", token=token)[0])

        threads = [threading.Thread(target=run) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        return statuses

    assert set(burst()) == {200}
    live.postgres.stop()
    live.postgres.start()

    # Each worker's kept connection was ended by the restart; the health check that
    # precedes a request's first query finds it dead and the request reconnects.
    statuses = burst()
    assert statuses == [200] * 20, statuses


# --- 3. a gunicorn worker killed mid-request --------------------------------------------


def half_sent_request(live: Stack, token: str) -> socket.socket:
    """A create request whose body stops half way: a worker is now blocked inside it."""
    body = json.dumps({"name": "half-sent", "dimensions": 2, "size": 3}).encode()
    head = (
        f"POST /api/lattices HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", live.app.port), timeout=20)
    sock.sendall(head + body[: len(body) // 2])
    return sock


def test_a_worker_killed_mid_request_loses_no_committed_data(live):
    app = live.app
    token = app.login()["access_token"]

    with Load(live, token, "kill-", threads=2) as load:
        time.sleep(0.8)
        in_flight = half_sent_request(live, token)
        time.sleep(0.2)
        for pid in app.worker_pids():
            os.kill(pid, signal.SIGKILL)
        # The half-sent request's worker is gone: its connection closes with no answer.
        try:
            answer = in_flight.recv(1024)
        except OSError:
            answer = b""
        finally:
            in_flight.close()
        # The master forks new workers; the app serves again by itself.
        wait_for(lambda: app.request("GET", "/ping")[0] == 200, 20, "respawned workers")
        time.sleep(1.0)

    assert answer == b""
    assert app.process.poll() is None
    assert not live.postgres.query("SELECT 1 FROM lattices_lattice WHERE name = 'half-sent'")
    assert 0 in load.statuses() or len(load.answers) > 10  # the load ran through the kill
    assert_nothing_half_applied(live, load)
    assert app.request("GET", "/api/lattices", token=token)[0] == 200


# --- 4. a Stripe webhook that failed is processed when Stripe retries -------------------


def test_a_webhook_that_failed_while_the_database_was_down_is_processed_on_retry(live):
    app = live.app
    event = fixture(
        "event",
        id="evt_faults_retry_1",
        type="catalytic.fault_probe",
        created=int(time.time()),
        data={"object": {"object": "thing", "id": "thing_faults_1"}},
        request={"id": None, "idempotency_key": None},
    )
    payload = json.dumps(event)

    def deliver() -> tuple[int, Any]:
        # Stripe signs each delivery afresh, with the time of that attempt.
        headers = {"Stripe-Signature": sign(payload, WEBHOOK_SECRET)}
        return app.request("POST", "/api/stripe/webhooks", raw=payload.encode(), headers=headers)

    live.postgres.stop()
    try:
        first, _ = deliver()
    finally:
        live.postgres.start()

    assert 500 <= first < 600  # Stripe retries any 5xx
    wait_for(lambda: deliver()[0] == 200, 20, "the retried delivery to be accepted")
    assert live.postgres.query(
        "SELECT count(*) FROM djstripe_event WHERE id = %s", event["id"]
    ) == [(1,)]
    # Right after the restart: a worker whose kept connection the restart ended
    # replaces it before the first query.
    status, body = deliver()
    assert status == 200, body  # a further retry is harmless
    assert live.postgres.query(
        "SELECT count(*) FROM djstripe_event WHERE id = %s", event["id"]
    ) == [(1,)]


# --- 5. a queued email is sent when the provider comes back -----------------------------


def test_a_queued_email_is_sent_when_the_provider_comes_back(live):
    app = live.app
    token = app.login()["access_token"]
    subject = f"Fault drill {time.time_ns()}"
    live.mail.stop()
    try:
        status, body = app.request(
            "POST",
            "/api/email/send",
            {
                "kind": "notice",
                "to": [OWNER_EMAIL],
                "context": {"subject": subject, "message": "The provider is down."},
            },
            token=token,
        )
        assert status == 202, body
        down = app.manage("deliver_emails", "--once")
        assert down.returncode == 0, down.stderr[-2000:]
        [(state, attempts)] = live.postgres.query(
            "SELECT status, attempts FROM notifications_outboxmessage WHERE subject = %s", subject
        )
        assert (state, attempts) == ("queued", 1)
    finally:
        live.mail.start()

    time.sleep(1.5)  # EMAIL_RETRY_BASE_SECONDS=1: the retry is due
    up = app.manage("deliver_emails", "--once")

    assert up.returncode == 0, up.stderr[-2000:]
    [(state,)] = live.postgres.query(
        "SELECT status FROM notifications_outboxmessage WHERE subject = %s", subject
    )
    assert state == "sent"
    assert any(
        subject in message.content.decode(errors="replace") for message in live.mail.messages
    )
