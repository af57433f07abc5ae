"""POST /api/lattices/{id}/neighbors."""

from __future__ import annotations

import itertools

import pytest

from lattices.models import LatticeOperation

pytestmark = pytest.mark.django_db


def url(lattice) -> str:
    return f"/api/lattices/{lattice.pk}/neighbors"


def brute_force(point, radius, size):
    axes = [range(size)] * len(point)
    return sorted(
        list(q)
        for q in itertools.product(*axes)
        if sum(abs(a - b) for a, b in zip(q, point, strict=True)) <= radius
    )


@pytest.mark.parametrize(("point", "radius"), [([0, 0, 0], 2), ([4, 5, 9], 3), ([5, 5, 5], 0)])
def test_it_lists_and_counts_the_points_within_the_radius(
    cast, client_for, make_lattice, point, radius
):
    lattice = make_lattice(dimensions=3, size=10, obstacles=[[0, 0, 1]])

    response = client_for(cast.member).post(
        url(lattice), {"point": point, "radius": radius}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    expected = brute_force(point, radius, 10)
    assert body["count"] == str(len(expected))
    assert body["listed"] is True
    assert sorted(body["points"]) == expected
    assert body["blocked"] == (1 if [0, 0, 1] in expected else 0)
    operation = LatticeOperation.objects.get(pk=body["operation_id"])
    assert operation.kind == "neighbors" and operation.status == "succeeded"
    assert operation.result_summary["count"] == str(len(expected))


def test_an_astronomical_count_is_exact_and_not_listed(cast, client_for, make_lattice, set_plan):
    set_plan(cast.tenant, "enterprise")
    lattice = make_lattice(dimensions=10, size=1000)

    body = (
        client_for(cast.member)
        .post(url(lattice), {"point": [0] * 10, "radius": 10**6}, format="json")
        .json()
    )

    assert body["count"] == str(1000**10)  # a radius beyond the diameter covers everything
    assert body["listed"] is False and body["points"] is None


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"point": [0, 0], "radius": -1}, 400, "validation_error"),
        ({"point": [0, 0], "radius": "far"}, 400, "validation_error"),
        ({"point": [0, 0]}, 400, "validation_error"),
        ({"point": [0, 9], "radius": 1}, 400, "invalid_point"),
        ({"point": [0], "radius": 1}, 400, "invalid_point"),
        ({"point": [[0, 0]], "radius": 1}, 400, "invalid_point"),
    ],
)
def test_bad_input_is_400_and_recorded(cast, client_for, make_lattice, payload, status, code):
    lattice = make_lattice(dimensions=2, size=5)

    response = client_for(cast.member).post(url(lattice), payload, format="json")

    assert response.status_code == status, response.json()
    assert response.json()["error"]["code"] == code
    operation = LatticeOperation.objects.get()
    assert (operation.kind, operation.status, operation.error_code) == ("neighbors", "failed", code)


def test_a_viewer_cannot_compute(cast, client_for, make_lattice):
    lattice = make_lattice()
    response = client_for(cast.viewer).post(url(lattice), {"point": [0, 0], "radius": 1})
    assert response.status_code == 403


def test_it_rejects_foreign_tenant_lattice(cast, client_for, make_lattice):
    theirs = make_lattice(tenant=cast.other_tenant)
    response = client_for(cast.owner).post(
        url(theirs), {"point": [0, 0], "radius": 1}, format="json"
    )
    assert response.status_code == 404
