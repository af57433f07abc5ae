"""POST /api/lattices/{id}/path."""

from __future__ import annotations

import networkx as nx
import pytest

from lattices.models import LatticeOperation

pytestmark = pytest.mark.django_db


def url(lattice) -> str:
    return f"/api/lattices/{lattice.pk}/path"


def assert_valid_path(path, start, end, blocked=frozenset()):
    assert path[0] == start and path[-1] == end
    for a, b in zip(path, path[1:], strict=False):
        assert sum(abs(x - y) for x, y in zip(a, b, strict=True)) == 1
    assert not {tuple(p) for p in path} & set(blocked)


def test_an_unobstructed_path_is_built_axis_by_axis(cast, client_for, make_lattice):
    lattice = make_lattice(dimensions=3, size=10)

    response = client_for(cast.member).post(
        url(lattice), {"start": [0, 0, 0], "end": [9, 2, 5]}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["reachable"] is True
    assert body["length"] == 16
    assert len(body["path"]) == 17
    assert_valid_path(body["path"], [0, 0, 0], [9, 2, 5])
    assert body["method"] == "direct"
    assert body["duration_ms"] >= 0
    operation = LatticeOperation.objects.get(pk=body["operation_id"])
    assert operation.status == "succeeded" and operation.kind == "path"
    assert operation.parameters == {"start": [0, 0, 0], "end": [9, 2, 5]}
    assert operation.result_summary["length"] == 16
    assert operation.actor == cast.member.user


def test_an_obstructed_path_goes_round_the_wall_like_networkx(cast, client_for, make_lattice):
    wall = [[2, y] for y in range(4)]  # a wall at x=2 with a gap at the top (y=4)
    lattice = make_lattice(dimensions=2, size=5, obstacles=wall)

    response = client_for(cast.member).post(
        url(lattice), {"start": [0, 0], "end": [4, 0]}, format="json"
    )

    body = response.json()
    graph = nx.grid_graph(dim=[5, 5])
    graph.remove_nodes_from(tuple(reversed(p)) for p in wall)
    assert body["reachable"] is True
    assert body["length"] == nx.shortest_path_length(graph, (0, 0), (0, 4)) == 12
    assert_valid_path(body["path"], [0, 0], [4, 0], {tuple(p) for p in wall})
    assert body["explored"] > 0


def test_no_path_is_a_200_saying_unreachable(cast, client_for, make_lattice):
    wall = [[2, y] for y in range(5)]
    lattice = make_lattice(dimensions=2, size=5, obstacles=wall)

    response = client_for(cast.member).post(
        url(lattice), {"start": [0, 0], "end": [4, 4]}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["reachable"], body["length"], body["path"]) == (False, None, [])


@pytest.mark.parametrize(
    ("payload", "code", "fragment"),
    [
        ({"start": [0, 0], "end": [1, 1]}, "invalid_point", "start is blocked"),
        ({"start": [0, 1], "end": [5, 0]}, "invalid_point", "end[0]=5 is outside 0..4"),
        ({"start": [0, 1, 0], "end": [1, 1]}, "invalid_point", "start must have 2 coordinates"),
        ({"start": [0, 1], "end": [1, "a"]}, "invalid_point", "end[1]='a' is not an integer"),
        ({"start": [0, 1], "end": [1.5, 1]}, "invalid_point", "not an integer"),
        ({"start": [0, 1], "end": [True, 1]}, "invalid_point", "not an integer"),
        ({"start": "0,1", "end": [1, 1]}, "invalid_point", "must be a list"),
        ({"start": [0, -1], "end": [1, 1]}, "invalid_point", "outside"),
        ({"start": [0, 10**40], "end": [1, 1]}, "invalid_point", "outside"),
    ],
)
def test_bad_endpoints_are_400_and_recorded(
    cast, client_for, make_lattice, payload, code, fragment
):
    lattice = make_lattice(dimensions=2, size=5, obstacles=[[0, 0]])

    response = client_for(cast.member).post(url(lattice), payload, format="json")

    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == code
    assert fragment in error["message"]
    operation = LatticeOperation.objects.get(pk=error["operation_id"])
    assert operation.status == "failed" and operation.error_code == code
    assert fragment in operation.error_message


def test_a_missing_field_is_a_validation_error_recorded_as_failed(cast, client_for, make_lattice):
    lattice = make_lattice()

    response = client_for(cast.member).post(url(lattice), {"start": [0, 0]}, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error" and "end" in error["details"]
    operation = LatticeOperation.objects.get()
    assert (operation.status, operation.error_code) == ("failed", "validation_error")
    assert operation.parameters == {"start": [0, 0]}


def test_a_search_beyond_the_plan_budget_is_422(cast, client_for, make_lattice, set_plan):
    set_plan(cast.tenant, "enterprise")
    lattice = make_lattice(dimensions=2, size=1000, obstacles={"density": 0.3, "seed": 3})
    grid = lattice.engine()
    start, end = next(
        (s, e)
        for s, e in (([x, 100], [900, 1000 - x]) for x in range(100, 200))
        if not grid.is_blocked(s) and not grid.is_blocked(e) and grid.path(s, e).reachable
    )
    set_plan(cast.tenant, "free")  # Free's budget is 10,000 points

    response = client_for(cast.member).post(
        url(lattice), {"start": start, "end": end}, format="json"
    )

    assert response.status_code == 422, response.json()
    error = response.json()["error"]
    assert error["code"] == "search_budget_exceeded"
    assert error["budget"] == 10_000 and error["explored"] > 10_000
    assert error["plan"] == "free" and error["upgrade_to"] == "starter"
    operation = LatticeOperation.objects.get(pk=error["operation_id"])
    assert (operation.status, operation.error_code) == ("failed", "search_budget_exceeded")
    assert operation.result_summary["budget"] == 10_000


def test_the_ten_dimensional_path_needs_no_search(cast, client_for, make_lattice, set_plan):
    set_plan(cast.tenant, "professional")
    lattice = make_lattice(dimensions=10, size=100)

    body = (
        client_for(cast.member)
        .post(url(lattice), {"start": [0] * 10, "end": [99] * 10}, format="json")
        .json()
    )

    assert body["length"] == 990 and len(body["path"]) == 991
    assert_valid_path(body["path"], [0] * 10, [99] * 10)


def test_a_viewer_cannot_compute(cast, client_for, make_lattice):
    lattice = make_lattice()
    response = client_for(cast.viewer).post(
        url(lattice), {"start": [0, 0], "end": [1, 1]}, format="json"
    )
    assert response.status_code == 403
    assert not LatticeOperation.objects.exists()


def test_it_rejects_foreign_tenant_lattice(cast, client_for, make_lattice):
    theirs = make_lattice(tenant=cast.other_tenant)
    response = client_for(cast.owner).post(
        url(theirs), {"start": [0, 0], "end": [1, 1]}, format="json"
    )
    assert response.status_code == 404
    assert not LatticeOperation.objects.exists()
