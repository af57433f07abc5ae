"""The job queue in /health and /metrics, read from the job rows; jobs in the staff admin."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from accounts.models import User
from lattices.job_runner import JOB_STALE_SECONDS
from lattices.models import Job

pytestmark = pytest.mark.django_db


def scrape(client: Any) -> dict[str, dict[tuple, float]]:
    response = client.get("/metrics")
    assert response.status_code == 200
    # Declared for the workers' observations, so alerts and dashboards can name them.
    assert b"# TYPE catalytic_job_seconds histogram" in response.content
    assert b"# TYPE catalytic_job_wait_seconds histogram" in response.content
    found: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


@pytest.fixture
def backlog(cast: Any, make_lattice: Any) -> None:
    lattice = make_lattice()
    now = timezone.now()

    def job(status: str, **fields: Any) -> Job:
        return Job.objects.create(
            tenant=cast.tenant, lattice=lattice, kind="path", status=status, **fields
        )

    Job.objects.filter(pk=job("queued").pk).update(created_at=now - timedelta(seconds=90))
    job("queued")
    job("running", claimed_at=now)
    job("running", claimed_at=now - timedelta(seconds=JOB_STALE_SECONDS + 5))
    job("succeeded", finished_at=now)


def test_an_empty_queue_reads_zero(client: Any, db: Any) -> None:
    metrics = scrape(client)
    body = client.get("/health").json()

    assert metrics["catalytic_jobs"] == {(("status", "queued"),): 0, (("status", "running"),): 0}
    assert metrics["catalytic_jobs_oldest_queued_seconds"] == {(): 0.0}
    assert body["jobs"]["queued"] == 0 and body["jobs"]["oldest_queued_seconds"] == 0.0


def test_metrics_show_depth_age_and_jobs_left_by_dead_workers(client: Any, backlog: None) -> None:
    metrics = scrape(client)

    assert metrics["catalytic_jobs"] == {(("status", "queued"),): 2, (("status", "running"),): 2}
    assert 89 <= metrics["catalytic_jobs_oldest_queued_seconds"][()] < 120
    assert metrics["catalytic_jobs_stalled"] == {(): 1}


# /health reads on its probe thread's own connection, which sees committed rows only.
@pytest.mark.django_db(transaction=True)
def test_health_reports_the_queue_without_the_brokers_address(client: Any, backlog: None) -> None:
    response = client.get("/health")
    jobs = response.json()["jobs"]

    assert response.status_code in (200, 503)  # the state is the dependencies', not the queue's
    assert (jobs["queued"], jobs["running"], jobs["stalled"]) == (2, 2, 1)
    assert 89 <= jobs["oldest_queued_seconds"] < 120
    assert jobs["broker"] in ("redis", "rediss", "filesystem")


def test_staff_see_jobs_read_only_and_never_a_queued_xor_payload(cast, make_lattice, client):
    staff = User.objects.create_superuser(email="staff@catalytic.example", password="x-staff-42")
    client.force_login(staff)
    job = Job.objects.create(
        tenant=cast.tenant,
        lattice=make_lattice(),
        kind="transform_xor",
        request={"data": "c2VjcmV0LXBheWxvYWQ=", "key": "the-customers-key"},
    )

    listing = client.get("/admin/lattices/job/")
    page = client.get(f"/admin/lattices/job/{job.pk}/change/")

    assert listing.status_code == 200 and str(job.pk) in listing.content.decode()
    assert page.status_code == 200
    assert b"the-customers-key" not in page.content
    assert b"c2VjcmV0LXBheWxvYWQ=" not in page.content
    assert b'name="status"' not in page.content  # shown, not editable
