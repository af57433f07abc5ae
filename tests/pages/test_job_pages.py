"""“Run in background” beside each computation, and the dashboard's jobs list."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from billing.usage import api_calls_used
from lattices import job_runner, services
from lattices.models import Job, Lattice
from tests.conftest import caller_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def lattice(cast: Any) -> Lattice:
    return services.create_lattice(
        caller_for(cast.tenant, cast.owner.user), name="Floor", dimensions=2, size=5
    )


def test_every_computation_form_offers_run_in_background(cast, page_client, lattice):
    html = page_client(cast.member).get(f"/lattices/{lattice.pk}/").content.decode()

    assert html.count('name="background"') == 5  # path, neighbours, xor, rotate, scale


@pytest.mark.parametrize(
    ("action", "post", "kind", "request_body"),
    [
        (
            "path/",
            {"path-start": "0,0", "path-end": "4,2"},
            "path",
            {"start": [0, 0], "end": [4, 2]},
        ),
        (
            "neighbors/",
            {"nb-point": "2,2", "nb-radius": "1"},
            "neighbors",
            {"point": [2, 2], "radius": 1},
        ),
        (
            "transform/",
            {"type": "xor", "xor-data": "hello", "xor-key": "k"},
            "transform_xor",
            # The API's body, as POST /api/lattices/{id}/transform with "async" stores it.
            {"type": "xor", "data": base64.b64encode(b"hello").decode(), "key": "k"},
        ),
    ],
)
def test_run_in_background_queues_a_job_metered_once_and_lists_it(
    cast, page_client, lattice, action, post, kind, request_body
):
    client = page_client(cast.member)
    before = api_calls_used(cast.tenant)

    response = client.post(f"/lattices/{lattice.pk}/{action}", {**post, "background": "1"})

    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    job = Job.objects.for_tenant(cast.tenant).get()
    assert (job.kind, job.status, job.request) == (kind, "queued", request_body)
    assert job.actor == cast.member.user
    assert api_calls_used(cast.tenant) == before + 1
    dashboard = client.get("/dashboard/").content.decode()
    assert "runs in the background" in dashboard
    assert f'data-testid="job-{job.pk}"' in dashboard and "Queued" in dashboard

    job_runner.run(job.pk)

    dashboard = client.get("/dashboard/").content.decode()
    assert "Succeeded" in dashboard.split('id="jobs-title"')[1].split("</table>")[0]


def test_a_path_job_shows_its_length_and_a_failed_one_its_code(cast, page_client, lattice):
    client = page_client(cast.member)
    client.post(
        f"/lattices/{lattice.pk}/path/",
        {"path-start": "0,0", "path-end": "4,2", "background": "1"},
    )
    job_runner.run(Job.objects.for_tenant(cast.tenant).get().pk)

    jobs = client.get("/dashboard/").content.decode().split('id="jobs-title"')[1]

    assert "6 steps" in jobs


def test_a_second_background_job_on_free_is_refused_with_the_reason(cast, page_client, lattice):
    client = page_client(cast.member)
    post = {"path-start": "0,0", "path-end": "4,2", "background": "1"}
    client.post(f"/lattices/{lattice.pk}/path/", post)

    response = client.post(f"/lattices/{lattice.pk}/path/", post)

    assert response.status_code == 429
    assert "runs 1 background job at a time" in response.content.decode()
    assert Job.objects.for_tenant(cast.tenant).count() == 1


def test_the_dashboard_lists_only_the_tenants_jobs(cast, page_client, lattice):
    theirs = services.create_lattice(
        caller_for(cast.other_tenant, cast.outsider.user), name="Theirs", dimensions=2, size=5
    )
    page_client(cast.outsider).post(
        f"/lattices/{theirs.pk}/path/", {"path-start": "0,0", "path-end": "1,1", "background": "1"}
    )

    html = page_client(cast.viewer).get("/dashboard/").content.decode()

    assert "No background jobs yet" in html
    assert "Theirs" not in html


def test_a_viewer_cannot_run_in_background(cast, page_client, lattice):
    response = page_client(cast.viewer).post(
        f"/lattices/{lattice.pk}/path/", {"path-start": "0,0", "path-end": "4,2", "background": "1"}
    )

    assert response.status_code == 403
    assert not Job.objects.exists()
