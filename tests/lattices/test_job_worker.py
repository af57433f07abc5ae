"""Background jobs run by real `celery worker` processes on PostgreSQL + Redis.

Each test starts its own workers (the test database's URL, the suite's Redis as broker),
submits through the API, and reads the outcome as a client does. One kills a worker
mid-job: Redis hands the unacknowledged message to a second worker once the first's
claim is stale, and the job ends once, stored once, metered once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from django.db import connection

from catalytic.celery import app
from lattices.models import Job, LatticeOperation
from tests.lattices.conftest import calls_used

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
# A job may search this long in these workers; a claim is stale 2 s later, and Redis
# redelivers an unacknowledged message 1 s after that (catalytic/jobs_config.py).
WORKER_ENV = {
    "JOB_SEARCH_SECONDS": "20",
    "JOB_STALE_MARGIN_SECONDS": "2",
    "JOB_REDELIVERY_MARGIN_SECONDS": "1",
}
# A 10-D lattice, three quarters blocked: A* needs 7,297 points (a fraction of a second)
# for SEED_QUICK and ~180,000 (seconds) for SEED_SLOW, between the same corners.
LATTICE = {"dimensions": 10, "size": 20}
SEED_QUICK, SEED_SLOW = 3, 16
CORNERS = {"start": [0] * 10, "end": [19] * 10}


@pytest.fixture(autouse=True)
def _needs_postgres_and_redis() -> None:
    if connection.vendor != "postgresql" or not django_settings.REDIS_URL:
        pytest.skip(
            "starts real Celery workers: set DATABASE_URL=postgresql://... and "
            "REDIS_URL=redis://... (the broker)"
        )


@pytest.fixture
def queue() -> Iterator[None]:
    """Jobs go to the broker, not into the test process (the suite's default)."""
    app.conf.update(task_always_eager=False)
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue)
    yield
    app.conf.update(task_always_eager=True)


def _test_database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


class Workers:
    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, name: str) -> subprocess.Popen[bytes]:
        log = self.log_dir / f"{name}.log"
        env = {**os.environ, **WORKER_ENV, "DATABASE_URL": _test_database_url()}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "catalytic",
                "worker",
                "--loglevel=INFO",
                "--concurrency=1",
                f"--hostname={name}@%h",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            # Its own process group, so a kill takes the pool's child with it.
            start_new_session=True,
        )
        self.running.append(process)
        deadline = time.monotonic() + 60
        while b" ready." not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"worker {name} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(path.read_text()[-2000:] for path in sorted(self.log_dir.glob("*.log")))


@pytest.fixture
def workers(transactional_db: Any, queue: None, tmp_path: Path) -> Iterator[Workers]:
    started = Workers(tmp_path)
    yield started
    started.stop_all()


def wait_for(client: Any, url: str, statuses: set[str], seconds: float, workers: Workers) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = client.get(url).json()
        if body["status"] in statuses:
            return body
        time.sleep(0.2)
    pytest.fail(f"job still {body['status']} after {seconds} s; worker logs:\n{workers.logs()}")


@pytest.fixture
def professional(cast: Any, set_plan: Any) -> Any:
    set_plan(cast.tenant, "professional")
    return cast


def test_a_worker_runs_a_job_to_the_synchronous_result(
    professional, client_for, make_lattice, workers, settings
):
    settings.LATTICE_SEARCH_SECONDS = 30  # the synchronous call must not time out here
    lattice = make_lattice(**LATTICE, obstacles={"density": 0.75, "seed": SEED_QUICK})
    client = client_for(professional.member)
    workers.start("one")

    accepted = client.post(
        f"/api/lattices/{lattice.pk}/path", {**CORNERS, "async": True}, format="json"
    )
    assert accepted.status_code == 202, accepted.json()
    job = wait_for(client, accepted["Location"], {"succeeded", "failed"}, 60, workers)
    synchronous = client.post(f"/api/lattices/{lattice.pk}/path", CORNERS, format="json")

    assert job["status"] == "succeeded", job
    assert synchronous.status_code == 200
    same = ("reachable", "length", "path", "explored", "method")
    assert {k: job["result"][k] for k in same} == {k: synchronous.json()[k] for k in same}
    assert job["result"]["length"] == 190
    assert job["attempts"] == 1


def test_a_job_whose_worker_is_killed_finishes_once_on_another(
    professional, client_for, make_lattice, workers
):
    lattice = make_lattice(**LATTICE, obstacles={"density": 0.75, "seed": SEED_SLOW})
    client = client_for(professional.member)
    doomed = workers.start("doomed")
    calls_before = calls_used(professional.tenant)

    accepted = client.post(
        f"/api/lattices/{lattice.pk}/path", {**CORNERS, "async": True}, format="json"
    )
    assert accepted.status_code == 202, accepted.json()
    url = accepted["Location"]
    wait_for(client, url, {"running", "succeeded", "failed"}, 60, workers)
    time.sleep(0.5)
    workers.kill(doomed)
    assert client.get(url).json()["status"] == "running", "the job ended before the kill"

    workers.start("survivor")
    job = wait_for(client, url, {"succeeded", "failed", "cancelled"}, 150, workers)

    assert job["status"] == "succeeded", job
    assert job["attempts"] == 2
    assert job["result"]["reachable"] is True and job["result"]["length"] == 190
    stored = Job.objects.get(pk=job["id"])
    assert (
        stored.operation_id is not None
        and str(stored.operation_id) == (job["result"]["operation_id"])
    )
    # One computation completed and recorded; one metered call (the submission).
    assert LatticeOperation.objects.filter(lattice=lattice).count() == 1
    assert calls_used(professional.tenant) == calls_before + 1
