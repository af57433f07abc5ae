"""The load test behind docs/performance.md's sizing rule, against Catalytic's API.

Run it through `loadtest/run.py` (see loadtest/README.md), which starts the server,
provisions identities and writes the CSV/HTML reports. By hand, against a server whose
identities you provisioned with loadtest/provision.py:

    LOADTEST_IDENTITIES=loadtest/reports/identities.json \\
      .venv/bin/locust -f loadtest/locustfile.py --headless -u 1000 -r 50 -t 3m \\
      --host http://127.0.0.1:8793 --csv loadtest/reports/manual --html loadtest/reports/manual.html

People and programs (a fixed LOADTEST_SESSION_USERS=100 password sign-ins, spread over
the first LOADTEST_LOGIN_SPREAD=60 s; the rest by weight):
- `TokenHolder` (most): a person whose access token was issued before the test (a session
  that is already open): lists lattices, reads one, runs paths and neighbourhoods, reads
  the tenant's usage and subscription status.
- `ApiKeyProgram`: a program with the tenant's API key, doing the product calls.
- `AsyncJobProgram` (LOADTEST_ASYNC_USERS=10): a program that submits a background job
  (`"async": true`) and polls `/api/jobs/{id}` until it ends, on a Celery worker.
- `SessionUser`: a person who really signs in (password login), refreshes the token pair
  now and then, and signs out at the end (or in the middle, then signs in again).

Every non-2xx answer is a failure, 429s included: the target is 100.00% success.
Think time comes from LOADTEST_WAIT ("min-max" seconds, default "1-5").
Each simulated client sends its own X-Forwarded-For address (the server trusts 127.0.0.1
as its proxy), so per-IP rate limits behave as with real, distinct clients.

What each process saw, per tenant, request and status (plus unanswered requests and
whether every 503 carried Retry-After), goes to LOADTEST_RESULTS_FILE ("{pid}" replaced),
which run.py compares with the database after the run (nothing lost). With
LOADTEST_RUN_SECONDS set, the users stop sending in the last LOADTEST_DRAIN_SECONDS
(default 10) of the run, so no request is cut off by the end of the test and every
answer the server gave is in the file when the run ends.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, argument_parser, between, events, task
from locust.runners import MasterRunner

# Locust 2.47's worker process evaluates `default_args_dict()`, which builds its whole
# command-line parser, once per option on every spawn message (runners.py, "spawn"):
# with --processes that took 58 % of each worker's CPU during a 10,000-user ramp-up
# (py-spy), CPU taken from the server on a shared machine. The defaults never change
# within a run, so compute them once.
_LOCUST_DEFAULTS = argument_parser.default_args_dict()
argument_parser.default_args_dict = lambda: dict(_LOCUST_DEFAULTS)

IDENTITIES = Path(os.environ.get("LOADTEST_IDENTITIES", "loadtest/reports/identities.json"))
_wait_min, _, _wait_max = os.environ.get("LOADTEST_WAIT", "1-5").partition("-")
WAIT_MIN, WAIT_MAX = float(_wait_min), float(_wait_max or _wait_min)
RESULTS_FILE = os.environ.get("LOADTEST_RESULTS_FILE", "")
RUN_SECONDS = float(os.environ.get("LOADTEST_RUN_SECONDS", "0"))
DRAIN_SECONDS = float(os.environ.get("LOADTEST_DRAIN_SECONDS", "10"))
# How many simulated people sign in with a password (each login is a deliberately costly
# Argon2id hash). A fixed number, not a share: at 10,000 users a 10 %
# share would be 1,000 logins of the same 200 provisioned people, five sessions each.
SESSION_USERS = int(os.environ.get("LOADTEST_SESSION_USERS", "100"))
# Programs submitting background jobs and polling them (AsyncJobProgram), and how long
# one polls before it moves on.
ASYNC_USERS = int(os.environ.get("LOADTEST_ASYNC_USERS", "10"))
JOB_POLL_SECONDS = float(os.environ.get("LOADTEST_JOB_POLL_SECONDS", "60"))
LOGIN_SPREAD_SECONDS = float(os.environ.get("LOADTEST_LOGIN_SPREAD", "60"))
LOGOUT_SPREAD_SECONDS = float(os.environ.get("LOADTEST_LOGOUT_SPREAD", "10"))
# The load generator stands in for the reverse proxy (see X-Forwarded-For below), so it
# also stamps when each request was sent, as nginx does with
# `proxy_set_header X-Request-Start "t=${msec}"`; the server refuses with a fast 503 a
# request that waited in its queue longer than QUEUE_TIMEOUT_MS.
STAMP_QUEUE_START = os.environ.get("LOADTEST_STAMP_QUEUE_START", "1") != "0"

_data: dict[str, Any] | None = None
_people: list[tuple[dict[str, Any], dict[str, Any]]] = []
_person_cycle: itertools.cycle | None = None
_team_cycle: itertools.cycle | None = None
_client_numbers = itertools.count(1)
# What this process saw, written for run.py: answers per (tenant id, "METHOD name",
# status; 0 = no answer), unanswered requests by error, 503s without Retry-After and the
# slowest 503.
answers: Counter[tuple[str, str, int]] = Counter()
unanswered: Counter[str] = Counter()
shed = {"without_retry_after": 0, "max_ms": 0.0}
# When the users stop sending (monotonic clock), set at the start of the test.
_drain_at: float | None = None


def identities() -> dict[str, Any]:
    global _data, _person_cycle, _team_cycle
    if _data is None:
        _data = json.loads(IDENTITIES.read_text())
        for team in _data["tenants"]:
            for person in team["members"]:
                _people.append((team, person))
        # Each locust process starts its cycle at a different place, so several processes
        # spread over all identities instead of all starting with the first.
        offset = os.getpid() % max(1, len(_people))
        _person_cycle = itertools.cycle(_people[offset:] + _people[:offset])
        _team_cycle = itertools.cycle(_data["tenants"][offset % len(_data["tenants"]) :])
    return _data


def client_ip() -> str:
    number = os.getpid() * 100_000 + next(_client_numbers)
    return f"10.{(number >> 16) & 255}.{(number >> 8) & 255}.{number & 255}"


def draining() -> bool:
    """Whether the run is in its last seconds, when users send nothing more."""
    return _drain_at is not None and time.monotonic() >= _drain_at


@events.request.add_listener
def _count_answer(
    request_type: str,
    name: str,
    response: Any = None,
    exception: Any = None,
    context: dict[str, Any] | None = None,
    response_time: float = 0.0,
    **_: Any,
) -> None:
    code = int(getattr(response, "status_code", None) or 0)
    tenant = (context or {}).get("tenant", "")
    answers[(tenant, f"{request_type} {name}", code)] += 1
    if code == 0:
        unanswered[type(exception).__name__ if exception else "no answer"] += 1
    elif code == 503:
        if not response.headers.get("Retry-After"):
            shed["without_retry_after"] += 1
        shed["max_ms"] = max(shed["max_ms"], float(response_time or 0))


def write_results() -> None:
    """This process's counts so far, replacing its previous file in one rename."""
    if not RESULTS_FILE or not answers:
        return
    path = Path(RESULTS_FILE.replace("{pid}", str(os.getpid())))
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        {"tenant": tenant, "name": name, "status": code, "count": n}
        for (tenant, name, code), n in answers.items()
    ]
    payload = {"answers": rows, "unanswered": dict(unanswered), "shed": shed}
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(payload))
    partial.replace(path)


def _write_periodically() -> None:
    # A worker of `--processes N` is stopped by its master and may never reach
    # `quitting`; rewriting every second, including through the drain at the end,
    # leaves the complete counts on disk whichever way the process ends.
    while True:
        gevent.sleep(1.0)
        write_results()


@events.test_start.add_listener
def _start_test(environment: Any, **_: Any) -> None:
    global _drain_at
    if isinstance(environment.runner, MasterRunner):
        return  # the master sends nothing; its workers count
    if RUN_SECONDS:
        _drain_at = time.monotonic() + max(0.0, RUN_SECONDS - DRAIN_SECONDS)
    if RESULTS_FILE:
        gevent.spawn(_write_periodically)


@events.test_stop.add_listener
def _stop_test(**_: Any) -> None:
    write_results()


@events.quitting.add_listener
def _quit(**_: Any) -> None:
    write_results()


class SimulatedClient(FastHttpUser):
    """Who a simulated client is and how it sends: identity, headers, think time."""

    abstract = True
    wait_time = between(WAIT_MIN, WAIT_MAX)
    # Fail fast rather than hang: a request the server cannot answer in 30 s is a failure.
    network_timeout = 30.0
    connection_timeout = 10.0

    team: dict[str, Any]
    auth: dict[str, str]

    def on_start(self) -> None:
        identities()
        self.ip = client_ip()

    def context(self) -> dict[str, Any]:
        # Every request event carries the tenant, so run.py can compare per tenant.
        team = getattr(self, "team", None)
        return {"tenant": team["id"] if team else ""}

    def headers(self) -> dict[str, str]:
        return {**self.auth, **self.proxy_headers()}

    def may_send(self) -> bool:
        """Whether to send now: not while draining (nor, for a SessionUser, signed out)."""
        if draining():
            gevent.sleep(1.0)  # no busy loop when the think time is zero
            return False
        return self.signed_in()

    def signed_in(self) -> bool:
        """Whether product calls can be made now (a SessionUser may be between sessions)."""
        return True

    def proxy_headers(self) -> dict[str, str]:
        headers = {"X-Forwarded-For": self.ip}
        if STAMP_QUEUE_START:
            headers["X-Request-Start"] = f"t={time.time():.3f}"
        return headers

    def lattice(self) -> dict[str, Any]:
        return random.choice(self.team["lattices"])

    def point(self, lattice: dict[str, Any]) -> list[int]:
        # Obstacles are not valid end points (a 400 by design), so never pick one.
        blocked = {tuple(p) for p in lattice.get("obstacles") or ()}
        while True:
            point = [random.randrange(lattice["size"]) for _ in range(lattice["dimensions"])]
            if tuple(point) not in blocked:
                return point


class CatalyticClient(SimulatedClient):
    """What every simulated client does with the product; subclasses say who they are."""

    abstract = True

    @task(3)
    def list_lattices(self) -> None:
        if not self.may_send():
            return
        self.client.get("/api/lattices", headers=self.headers(), name="/api/lattices")

    @task(3)
    def read_lattice(self) -> None:
        if not self.may_send():
            return
        lattice = self.lattice()
        self.client.get(
            f"/api/lattices/{lattice['id']}", headers=self.headers(), name="/api/lattices/{id}"
        )

    @task(4)
    def shortest_path(self) -> None:
        if not self.may_send():
            return
        lattice = self.lattice()
        self.client.post(
            f"/api/lattices/{lattice['id']}/path",
            json={"start": self.point(lattice), "end": self.point(lattice)},
            headers=self.headers(),
            name="/api/lattices/{id}/path",
        )

    @task(2)
    def neighbours(self) -> None:
        if not self.may_send():
            return
        lattice = self.lattice()
        self.client.post(
            f"/api/lattices/{lattice['id']}/neighbors",
            json={"point": self.point(lattice), "radius": random.randint(1, 3)},
            headers=self.headers(),
            name="/api/lattices/{id}/neighbors",
        )

    @task(1)
    def usage(self) -> None:
        if not self.may_send():
            return
        self.client.get("/api/tenants/usage", headers=self.headers(), name="/api/tenants/usage")


class TokenHolder(CatalyticClient):
    """A person with a session opened before the test (pre-provisioned access token)."""

    weight = 6

    def on_start(self) -> None:
        super().on_start()
        assert _person_cycle is not None
        self.team, person = next(_person_cycle)
        self.auth = {"Authorization": f"Bearer {person['access']}"}

    @task(1)
    def subscription_status(self) -> None:
        if not self.may_send():
            return
        self.client.get(
            f"/api/subscriptions/status/{self.team['id']}",
            headers=self.headers(),
            name="/api/subscriptions/status/{tenant_id}",
        )


class ApiKeyProgram(CatalyticClient):
    """A program calling the API with its tenant's key."""

    weight = 3

    def on_start(self) -> None:
        super().on_start()
        assert _team_cycle is not None
        self.team = next(_team_cycle)
        self.auth = {"X-API-Key": self.team["api_key"]}


class AsyncJobProgram(SimulatedClient):
    """A program that submits a background job (`"async": true`) and polls it to its end.

    A fixed number (LOADTEST_ASYNC_USERS, default 10), each on its own tenant's API key,
    one job at a time, so no tenant passes its plan's concurrent jobs; the other users'
    weights are unchanged. run.py starts a Celery worker beside the server. The job is a
    scale transform: the ledger compares paths and neighbourhoods with their 2xx answers,
    and a job's operation is stored by the worker, not answered by a request.
    """

    fixed_count = ASYNC_USERS

    def on_start(self) -> None:
        super().on_start()
        assert _team_cycle is not None
        self.team = next(_team_cycle)
        self.auth = {"X-API-Key": self.team["api_key"]}

    @task
    def submit_and_poll(self) -> None:
        if not self.may_send():
            return
        lattice = self.lattice()
        body = {"type": "scale", "size": lattice["size"], "points": [self.point(lattice)]}
        response = self.client.post(
            f"/api/lattices/{lattice['id']}/transform",
            json={**body, "async": True},
            headers=self.headers(),
            name="/api/lattices/{id}/transform (async)",
        )
        if response.status_code != 202:
            return
        url = response.json()["job"]["url"]
        deadline = time.monotonic() + JOB_POLL_SECONDS
        while time.monotonic() < deadline and not draining():
            gevent.sleep(1.0)
            poll = self.client.get(url, headers=self.headers(), name="/api/jobs/{id}")
            if poll.status_code != 200 or poll.json()["status"] not in ("queued", "running"):
                return


class SessionUser(CatalyticClient):
    """A person who signs in with a password, refreshes, and signs out."""

    fixed_count = SESSION_USERS

    def on_start(self) -> None:
        super().on_start()
        assert _person_cycle is not None
        self.team, self.person = next(_person_cycle)
        self.refresh_token = ""
        # Locust spawns fixed-count users first, all at once: spread their password
        # logins over the ramp-up instead of hashing 100 passwords in the same second.
        gevent.sleep(random.uniform(0, LOGIN_SPREAD_SECONDS))
        self.login()

    def on_stop(self) -> None:
        # People do not all sign out in the same instant: spread the closing logouts over
        # a few seconds (within run.py's --stop-timeout) instead of sending 100 at once
        # from a load generator busy stopping every other user.
        gevent.sleep(random.uniform(0, LOGOUT_SPREAD_SECONDS))
        self.logout()

    def signed_in(self) -> bool:
        # After a refused login (a 429 or 503 under overload) sign in again instead of
        # sending product calls without credentials (401s the server did right to send).
        if not self.auth:
            self.login()
        return bool(self.auth)

    def login(self) -> None:
        data = identities()
        with self.client.post(
            "/api/tenants/login",
            json={"email": self.person["email"], "password": data["password"]},
            headers=self.proxy_headers(),
            name="/api/tenants/login",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"login answered {response.status_code}")
                self.auth = {}
                self.refresh_token = ""
                return
            body = response.json()
            access = body.get("access_token") or body.get("access")
            self.refresh_token = body.get("refresh_token") or body.get("refresh") or ""
            self.auth = {"Authorization": f"Bearer {access}"}

    def logout(self) -> None:
        if not self.auth:
            return
        self.client.post(
            "/api/tenants/logout",
            json={"refresh_token": self.refresh_token} if self.refresh_token else {},
            headers=self.headers(),
            name="/api/tenants/logout",
        )
        # Signed out: that refresh token is revoked (using it would be a 401 we earned).
        self.auth = {}
        self.refresh_token = ""

    @task(1)
    def refresh(self) -> None:
        if draining():
            gevent.sleep(1.0)
            return
        if not self.refresh_token:
            self.login()
            return
        with self.client.post(
            "/api/tenants/refresh",
            json={"refresh_token": self.refresh_token},
            headers=self.proxy_headers(),
            name="/api/tenants/refresh",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"refresh answered {response.status_code}")
                return
            body = response.json()
            access = body.get("access_token") or body.get("access")
            self.refresh_token = body.get("refresh_token") or body.get("refresh") or ""
            self.auth = {"Authorization": f"Bearer {access}"}

    @task(1)
    def sign_out_and_in(self) -> None:
        # Rare compared with product calls: a login costs a deliberate password hash.
        if draining():
            gevent.sleep(1.0)
            return
        if random.random() < 0.2:
            self.logout()
            self.login()
