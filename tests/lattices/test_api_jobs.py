"""Background jobs: POST ... "async": true, GET/DELETE /api/jobs[/{id}] (tasks run in-process)."""

from __future__ import annotations

import dataclasses
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing import plans as plan_table
from billing.models import Subscription
from lattices import job_runner, jobs
from lattices.models import Job, LatticeOperation
from lattices.signals import job_finished
from tests.conftest import caller_for
from tests.lattices.conftest import calls_used

pytestmark = pytest.mark.django_db

PATH_BODY = {"start": [0, 0], "end": [4, 3]}


def submit(client, lattice, action="path", body=None):
    return client.post(
        f"/api/lattices/{lattice.pk}/{action}",
        {**(body or PATH_BODY), "async": True},
        format="json",
    )


def upgrade(tenant, plan):
    # Saved as a plan change is (a bulk update would not reach the members kept per worker).
    subscription = Subscription.objects.get(tenant=tenant)
    subscription.plan = plan
    subscription.save()


def comparable(result):
    """A result without what differs between two runs of the same computation (the xor's
    auxiliary buffer is fresh random bytes each time)."""
    varying = ("duration_ms", "operation_id", "aux_sha256_before", "aux_sha256_after")
    return {k: v for k, v in result.items() if k not in varying}


def test_an_async_path_is_accepted_at_once_then_runs_to_the_synchronous_result(
    cast, client_for, make_lattice, django_capture_on_commit_callbacks
):
    lattice = make_lattice(size=5, obstacles=[[2, 0], [2, 1], [2, 2]])
    client = client_for(cast.member)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = submit(client, lattice)

    assert response.status_code == 202, response.json()
    job = response.json()["job"]
    assert job["status"] == "queued" and job["url"] == f"/api/jobs/{job['id']}"
    assert response["Location"] == f"http://testserver/api/jobs/{job['id']}"
    assert client.get(job["url"]).json()["status"] == "queued"

    for callback in queued:
        callback()  # what the commit would do: hand the job to the (in-process) worker

    body = client.get(job["url"]).json()
    synchronous = client.post(f"/api/lattices/{lattice.pk}/path", PATH_BODY, format="json")
    assert body["status"] == "succeeded", body
    assert body["error"] is None and body["attempts"] == 1
    assert body["started_at"] and body["finished_at"]
    assert comparable(body["result"]) == comparable(synchronous.json())
    operation = LatticeOperation.objects.get(pk=body["result"]["operation_id"])
    assert operation.actor == cast.member.user and operation.status == "succeeded"
    assert Job.objects.get(pk=job["id"]).request == {}


def test_a_job_is_metered_once_when_accepted_and_never_when_run_again(
    cast, client_for, make_lattice, django_capture_on_commit_callbacks
):
    lattice = make_lattice()
    before = calls_used(cast.tenant)

    with django_capture_on_commit_callbacks(execute=True):
        job_id = submit(client_for(cast.member), lattice).json()["job"]["id"]
    job_runner.run(job_id)  # a redelivered message

    assert calls_used(cast.tenant) == before + 1
    assert Job.objects.get(pk=job_id).attempts == 1
    assert LatticeOperation.objects.filter(lattice=lattice).count() == 1


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("neighbors", {"point": [2, 2], "radius": 1}, "count"),
        ("transform", {"type": "xor", "data": "aGVsbG8=", "key": "k"}, "output"),
        ("transform", {"type": "rotate", "axes": [0, 1], "k": 1, "points": [[1, 0]]}, "points"),
        ("transform", {"type": "scale", "size": 10, "points": [[4, 4]]}, "points"),
    ],
)
def test_every_computation_runs_in_the_background_like_in_the_request(
    cast, client_for, make_lattice, django_capture_on_commit_callbacks, action, body, field
):
    lattice = make_lattice()
    client = client_for(cast.member)

    with django_capture_on_commit_callbacks(execute=True):
        job = submit(client, lattice, action, body).json()["job"]
    finished = client.get(job["url"]).json()
    synchronous = client.post(f"/api/lattices/{lattice.pk}/{action}", body, format="json").json()

    assert finished["status"] == "succeeded", finished
    assert comparable(finished["result"]) == comparable(synchronous)
    assert field in finished["result"]


def test_a_job_whose_search_runs_out_of_budget_fails_with_the_synchronous_error(
    cast, client_for, make_lattice, django_capture_on_commit_callbacks, monkeypatch
):
    small = dataclasses.replace(plan_table.PLANS_BY_CODE["free"], job_search_budget=5)
    monkeypatch.setitem(plan_table.PLANS_BY_CODE, "free", small)
    wall = [[2, y] for y in range(4)]
    lattice = make_lattice(obstacles=wall)
    client = client_for(cast.member)

    with django_capture_on_commit_callbacks(execute=True):
        job = submit(client, lattice, body={"start": [0, 0], "end": [4, 0]}).json()["job"]
    body = client.get(job["url"]).json()

    assert body["status"] == "failed" and body["result"] is None
    error = body["error"]
    assert error["code"] == "search_budget_exceeded"
    assert error["budget"] == 5 and error["plan"] == "free" and error["upgrade_to"] == "starter"
    operation = LatticeOperation.objects.get(pk=error["operation_id"])
    assert operation.error_code == "search_budget_exceeded"


def test_a_job_searches_with_the_plans_job_budget_not_the_requests(
    cast, client_for, make_lattice, django_capture_on_commit_callbacks, monkeypatch
):
    free = plan_table.PLANS_BY_CODE["free"]
    tight = dataclasses.replace(free, search_budget=5, job_search_budget=10_000)
    monkeypatch.setitem(plan_table.PLANS_BY_CODE, "free", tight)
    lattice = make_lattice(obstacles=[[2, y] for y in range(4)])
    client = client_for(cast.member)
    body = {"start": [0, 0], "end": [4, 0]}

    refused = client.post(f"/api/lattices/{lattice.pk}/path", body, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        job = submit(client, lattice, body=body).json()["job"]

    assert refused.status_code == 422
    finished = client.get(job["url"]).json()
    assert finished["status"] == "succeeded" and finished["result"]["length"] == 12


def test_beyond_the_plans_concurrent_jobs_it_is_429_too_many_jobs(
    cast, client_for, make_lattice, plans
):
    lattice = make_lattice()
    client = client_for(cast.member)
    first = submit(client, lattice)  # stays queued: its commit callback never runs

    refused = submit(client, lattice)

    assert first.status_code == 202
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "too_many_jobs"
    assert (error["allowed"], error["active"], error["upgrade_to"]) == (1, 1, "starter")
    assert refused["Retry-After"] == "5"
    assert Job.objects.for_tenant(cast.tenant).count() == 1

    upgrade(cast.tenant, plans["starter"])
    upgraded = submit(client, lattice)
    assert upgraded.status_code == 202, upgraded.json()
    assert submit(client, lattice).json()["error"]["code"] == "too_many_jobs"


def test_a_finished_job_frees_its_slot(
    cast, client_for, make_lattice, django_capture_on_commit_callbacks
):
    lattice = make_lattice()
    client = client_for(cast.member)
    with django_capture_on_commit_callbacks(execute=True):
        assert submit(client, lattice).status_code == 202

    assert submit(client, lattice).status_code == 202


def test_cancelling_a_queued_job_ends_it_and_the_worker_leaves_it(
    cast, client_for, make_lattice, django_capture_on_commit_callbacks
):
    lattice = make_lattice()
    client = client_for(cast.member)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        job = submit(client, lattice).json()["job"]

    response = client.delete(job["url"])
    for callback in queued:
        callback()

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    stored = Job.objects.get(pk=job["id"])
    assert (stored.status, stored.attempts, stored.result) == ("cancelled", 0, None)
    assert stored.finished_at is not None
    assert not LatticeOperation.objects.filter(lattice=lattice).exists()
    again = client.delete(job["url"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "job_finished"
    assert submit(client, lattice).status_code == 202  # the slot is free again


def test_cancelling_a_running_job_discards_what_its_worker_computes(cast, make_lattice):
    lattice = make_lattice()
    job = jobs.submit(
        caller_for(cast.tenant, cast.member.user), lattice=lattice, kind="path", request=PATH_BODY
    )
    token = job_runner.claim(job.pk)
    jobs.cancel(tenant=cast.tenant, job=job)

    stored = Job.objects.filter(pk=job.pk, status="running", claim=token).update(status="succeeded")

    assert token is not None and stored == 0
    assert Job.objects.get(pk=job.pk).status == "cancelled"


def test_a_redelivered_job_runs_once_unless_its_worker_died(cast, make_lattice, monkeypatch):
    lattice = make_lattice()
    job = jobs.submit(
        caller_for(cast.tenant, cast.member.user), lattice=lattice, kind="path", request=PATH_BODY
    )
    job_runner.claim(job.pk)  # a worker took it and is still computing

    waiting = job_runner.run(job.pk)
    assert not waiting.ran and 0 < waiting.retry_in <= job_runner.JOB_STALE_SECONDS + 1

    Job.objects.filter(pk=job.pk).update(
        claimed_at=timezone.now() - timedelta(seconds=job_runner.JOB_STALE_SECONDS + 1)
    )  # ... until that worker's claim is older than any job may run: it died
    taken = job_runner.run(job.pk)
    again = job_runner.run(job.pk)

    stored = Job.objects.get(pk=job.pk)
    assert taken.ran and not again.ran and again.retry_in is None
    assert (stored.status, stored.attempts) == ("succeeded", 2)
    assert LatticeOperation.objects.filter(lattice=lattice).count() == 1


def test_the_end_of_a_job_is_signalled_once(
    cast, client_for, make_lattice, django_capture_on_commit_callbacks
):
    seen = []

    def receiver(sender, job, **kwargs):
        seen.append((job.pk, job.status))

    job_finished.connect(receiver)
    try:
        lattice = make_lattice()
        client = client_for(cast.member)
        with django_capture_on_commit_callbacks(execute=True):
            ran = submit(client, lattice).json()["job"]
        job_runner.run(ran["id"])
        with django_capture_on_commit_callbacks(execute=False):
            cancelled = submit(client, lattice).json()["job"]
        with django_capture_on_commit_callbacks(execute=True):
            client.delete(cancelled["url"])
    finally:
        job_finished.disconnect(receiver)

    assert [(str(pk), status) for pk, status in seen] == [
        (ran["id"], "succeeded"),
        (cancelled["id"], "cancelled"),
    ]


def test_jobs_are_listed_newest_first_and_only_the_tenants_own(
    cast, client_for, make_lattice, plans
):
    upgrade(cast.tenant, plans["professional"])
    mine = make_lattice()
    theirs = make_lattice(tenant=cast.other_tenant)
    first = submit(client_for(cast.member), mine).json()["job"]["id"]
    second = submit(client_for(cast.member), mine).json()["job"]["id"]
    foreign = submit(client_for(cast.outsider), theirs).json()["job"]["id"]

    body = client_for(cast.viewer).get("/api/jobs").json()

    assert [job["id"] for job in body["results"]] == [second, first]
    assert foreign not in {job["id"] for job in body["results"]}


def test_another_tenants_job_is_404(cast, client_for, make_lattice):
    theirs = make_lattice(tenant=cast.other_tenant)
    job = submit(client_for(cast.outsider), theirs).json()["job"]

    assert client_for(cast.owner).get(job["url"]).status_code == 404
    assert client_for(cast.owner).delete(job["url"]).status_code == 404
    assert client_for(cast.owner).get("/api/jobs/not-a-uuid").status_code == 404
    assert Job.objects.get(pk=job["id"]).status == "queued"


def test_a_viewer_reads_jobs_but_cannot_submit_or_cancel(cast, client_for, make_lattice):
    lattice = make_lattice()
    job = submit(client_for(cast.member), lattice).json()["job"]

    assert client_for(cast.viewer).get(job["url"]).status_code == 200
    assert submit(client_for(cast.viewer), lattice).status_code == 403
    assert client_for(cast.viewer).delete(job["url"]).status_code == 403
    assert Job.objects.get(pk=job["id"]).status == "queued"


def test_async_must_be_a_boolean(cast, client_for, make_lattice):
    lattice = make_lattice()

    response = client_for(cast.member).post(
        f"/api/lattices/{lattice.pk}/path", {**PATH_BODY, "async": "later"}, format="json"
    )

    assert response.status_code == 400
    assert "async" in response.json()["error"]["details"]
    assert not Job.objects.exists()


def test_a_malformed_async_request_is_refused_at_once_not_queued(cast, client_for, make_lattice):
    lattice = make_lattice()

    response = client_for(cast.member).post(
        f"/api/lattices/{lattice.pk}/transform",
        {"type": "xor", "data": "not base64!", "key": "k", "async": True},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_base64"
    assert not Job.objects.exists()


def test_finished_jobs_are_pruned_after_the_retention_period(cast, make_lattice):
    lattice = make_lattice()

    def job(status, finished_days_ago):
        finished = (
            timezone.now() - timedelta(days=finished_days_ago)
            if finished_days_ago is not None
            else None
        )
        return Job.objects.create(
            tenant=cast.tenant, lattice=lattice, kind="path", status=status, finished_at=finished
        )

    old = job("succeeded", 8)
    recent = job("failed", 6)
    queued = job("queued", None)

    out = io.StringIO()
    call_command("prune_jobs", stdout=out)

    assert "Pruned 1 job(s) that ended more than 7 days ago." in out.getvalue()
    assert set(Job.objects.values_list("pk", flat=True)) == {recent.pk, queued.pk}
    assert not Job.objects.filter(pk=old.pk).exists()
    assert jobs.prune() == 0


def test_a_job_submitted_with_an_api_key_runs_as_the_key(
    cast, client_for, make_lattice, django_capture_on_commit_callbacks
):
    lattice = make_lattice()
    created = client_for(cast.owner).post(
        "/api/tenants/api-keys", {"name": "etl", "scope": "write"}, format="json"
    )
    program = client_for(cast.member)  # any client; the key replaces its credentials
    program.credentials(HTTP_X_API_KEY=created.json()["key"])

    with django_capture_on_commit_callbacks(execute=True):
        response = submit(program, lattice)

    job = program.get(response.json()["job"]["url"]).json()
    assert job["status"] == "succeeded", job
    operation = LatticeOperation.objects.get(pk=job["result"]["operation_id"])
    assert (operation.actor, str(operation.api_key_id)) == (None, created.json()["id"])
