"""GET|POST /api/lattices and GET|DELETE /api/lattices/{id}."""

from __future__ import annotations

import uuid

import pytest

from lattices.models import Lattice, LatticeOperation
from tenants.models import AuditEvent

pytestmark = pytest.mark.django_db

LIST = "/api/lattices"


def detail(lattice: Lattice | str) -> str:
    return f"/api/lattices/{getattr(lattice, 'pk', lattice)}"


def test_a_member_creates_a_lattice_and_gets_exact_counts(cast, client_for):
    response = client_for(cast.member).post(
        LIST, {"name": "  cube  ", "dimensions": 3, "size": 10}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    lattice = Lattice.objects.get(pk=body["id"])
    assert lattice.tenant == cast.tenant and lattice.created_by == cast.member.user
    assert body["name"] == "cube"
    assert (body["dimensions"], body["size"]) == (3, 10)
    assert body["obstacles"] == {"kind": "none"}
    assert body["counts"] == {
        "vertices": "1000",
        "edges": str(3 * 10**2 * 9),
        "diameter": 27,
        "max_degree": 6,
        "min_degree": 3,
    }
    assert body["memory"] == {
        "adjacency_list_bytes": str(8 * (1000 + 1 + 2 * 2700)),
        "engine_bytes": 0,
    }
    assert body["created_by"] == str(cast.member.user.pk)
    assert AuditEvent.objects.filter(
        tenant=cast.tenant, action="lattice.created", target=str(lattice.pk)
    ).exists()


def test_counts_of_a_ten_dimensional_lattice_are_exact_strings(cast, client_for, set_plan):
    set_plan(cast.tenant, "professional")
    response = client_for(cast.member).post(
        LIST, {"name": "big", "dimensions": 10, "size": 100}, format="json"
    )

    assert response.status_code == 201, response.json()
    counts = response.json()["counts"]
    assert counts["vertices"] == str(10**20)
    assert counts["edges"] == str(10 * 100**9 * 99)
    assert counts["diameter"] == 990


def test_density_obstacles_are_stored_as_two_numbers(cast, client_for):
    response = client_for(cast.member).post(
        LIST,
        {"name": "d", "dimensions": 2, "size": 10, "obstacles": {"density": 0.3, "seed": 7}},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["obstacles"] == {"kind": "density", "density": 0.3, "seed": 7}
    assert response.json()["memory"]["engine_bytes"] == 16
    assert Lattice.objects.get().obstacles == {"density": 0.3, "seed": 7}


def test_explicit_obstacles_are_deduplicated_and_listed_in_detail_only(cast, client_for):
    client = client_for(cast.member)
    created = client.post(
        LIST,
        {"name": "walls", "dimensions": 2, "size": 5, "obstacles": [[1, 1], [0, 3], [1, 1]]},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["obstacles"] == {"kind": "explicit", "count": 2}

    shown = client.get(detail(created.json()["id"])).json()
    assert shown["obstacles"] == {"kind": "explicit", "count": 2, "points": [[0, 3], [1, 1]]}


def test_the_list_shows_only_the_callers_tenant_newest_first(cast, client_for, make_lattice):
    first = make_lattice("first")
    second = make_lattice("second")
    make_lattice("theirs", tenant=cast.other_tenant)

    response = client_for(cast.viewer).get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [str(second.pk), str(first.pk)]


def test_the_list_paginates(cast, client_for, make_lattice, set_plan):
    set_plan(cast.tenant, "starter")
    for index in range(3):
        make_lattice(f"l{index}")

    body = client_for(cast.viewer).get(LIST, {"page_size": 2}).json()

    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]


def test_a_viewer_may_read_but_not_create_or_delete(cast, client_for, make_lattice):
    lattice = make_lattice()
    client = client_for(cast.viewer)

    assert client.get(detail(lattice)).status_code == 200
    created = client.post(LIST, {"name": "x", "dimensions": 2, "size": 5}, format="json")
    deleted = client.delete(detail(lattice))

    assert created.status_code == 403 and created.json()["error"]["code"] == "insufficient_role"
    assert deleted.status_code == 403
    assert Lattice.objects.count() == 1


def test_anonymous_requests_are_refused(anon):
    assert anon.get(LIST).status_code == 401


@pytest.mark.parametrize("method", ["get", "delete"])
def test_it_rejects_foreign_tenant_lattice(cast, client_for, make_lattice, method):
    theirs = make_lattice("theirs", tenant=cast.other_tenant)

    response = getattr(client_for(cast.owner), method)(detail(theirs))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert Lattice.objects.filter(pk=theirs.pk).exists()


def test_a_missing_or_malformed_id_is_a_json_404(cast, client_for):
    client = client_for(cast.owner)
    assert client.get(detail(uuid.uuid4())).status_code == 404
    response = client.get(detail("not-a-uuid"))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_member_deletes_a_lattice_with_its_history(cast, client_for, make_lattice):
    lattice = make_lattice()
    client = client_for(cast.member)
    client.post(f"{detail(lattice)}/path", {"start": [0, 0], "end": [1, 1]}, format="json")
    assert LatticeOperation.objects.count() == 1

    response = client.delete(detail(lattice))

    assert response.status_code == 204
    assert not Lattice.objects.exists() and not LatticeOperation.objects.exists()
    event = AuditEvent.objects.get(action="lattice.deleted", target=str(lattice.pk))
    assert event.tenant_id == cast.tenant.pk and event.actor_id == cast.member.user_id
    assert event.metadata["name"] == lattice.name and event.metadata["dimensions"] == 2
    assert client.get(detail(lattice)).status_code == 404


# --- plan limits -----------------------------------------------------------------------------


def test_creating_beyond_max_lattices_is_402_naming_the_upgrade(cast, client_for, make_lattice):
    for index in range(5):  # Free allows 5
        make_lattice(f"l{index}")

    response = client_for(cast.member).post(
        LIST, {"name": "sixth", "dimensions": 2, "size": 5}, format="json"
    )

    assert response.status_code == 402
    error = response.json()["error"]
    assert error["code"] == "plan_limit"
    assert error["limit"] == "max_lattices"
    assert error["plan"] == "free"
    assert error["upgrade_to"] == "starter"
    assert error["details"] == {"allowed": 5, "requested": 6}
    assert "Free" in error["message"]
    assert Lattice.objects.count() == 5


def test_deleting_a_lattice_frees_room_under_the_plan(cast, client_for, make_lattice):
    lattices = [make_lattice(f"l{index}") for index in range(5)]
    client = client_for(cast.member)
    client.delete(detail(lattices[0]))

    response = client.post(LIST, {"name": "again", "dimensions": 2, "size": 5}, format="json")

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("payload", "limit", "upgrade_to", "details"),
    [
        ({"dimensions": 4, "size": 5}, "max_dimensions", "starter", {"allowed": 3, "requested": 4}),
        ({"dimensions": 6, "size": 5}, "max_dimensions", "professional", None),
        ({"dimensions": 2, "size": 11}, "max_lattice_size", "starter", None),
        ({"dimensions": 2, "size": 500}, "max_lattice_size", "enterprise", None),
    ],
)
def test_shapes_beyond_the_plan_are_402(cast, client_for, payload, limit, upgrade_to, details):
    response = client_for(cast.member).post(LIST, {"name": "x", **payload}, format="json")

    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["code"], error["limit"], error["plan"]) == ("plan_limit", limit, "free")
    assert error["upgrade_to"] == upgrade_to
    if details:
        assert error["details"] == details
    assert not Lattice.objects.exists()


def test_enterprise_has_no_shape_limits_beyond_the_engine(cast, client_for, set_plan):
    set_plan(cast.tenant, "enterprise")
    response = client_for(cast.member).post(
        LIST, {"name": "x", "dimensions": 10, "size": 1000}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["counts"]["vertices"] == str(1000**10)


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"dimensions": 2, "size": 5}, "validation_error"),  # no name
        ({"name": "   ", "dimensions": 2, "size": 5}, "validation_error"),
        ({"name": "x" * 201, "dimensions": 2, "size": 5}, "validation_error"),
        ({"name": "x", "dimensions": "two", "size": 5}, "validation_error"),
        ({"name": "x", "dimensions": 2.5, "size": 5}, "validation_error"),
        ({"name": "x", "dimensions": 2, "size": 10**40}, "invalid_lattice"),
        ({"name": "x", "dimensions": 0, "size": 5}, "invalid_lattice"),
        ({"name": "x", "dimensions": 11, "size": 5}, "invalid_lattice"),
        ({"name": "x", "dimensions": 2, "size": 1}, "invalid_lattice"),
        ({"name": "x", "dimensions": 2, "size": 5, "obstacles": [[1, 2, 3]]}, "invalid_lattice"),
        ({"name": "x", "dimensions": 2, "size": 5, "obstacles": [[9, 9]]}, "invalid_lattice"),
        ({"name": "x", "dimensions": 2, "size": 5, "obstacles": "lots"}, "invalid_lattice"),
        ({"name": "x", "dimensions": 2, "size": 5, "obstacles": {"density": 2}}, "invalid_lattice"),
        (
            {"name": "x", "dimensions": 2, "size": 5, "obstacles": {"density": 1.5, "seed": 1}},
            "invalid_lattice",
        ),
    ],
)
def test_bad_lattices_are_400_never_500(cast, client_for, payload, code):
    response = client_for(cast.member).post(LIST, payload, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == code
    assert not Lattice.objects.exists()


def test_too_many_explicit_obstacles_are_refused(cast, client_for, set_plan):
    set_plan(cast.tenant, "enterprise")
    walls = [[x, y] for x in range(101) for y in range(100)]  # 10,100 points

    response = client_for(cast.member).post(
        LIST, {"name": "x", "dimensions": 2, "size": 1000, "obstacles": walls}, format="json"
    )

    assert response.status_code == 400
    assert "10000" in response.json()["error"]["message"].replace(",", "")


def test_a_body_that_is_not_json_is_a_clear_400(cast, client_for):
    response = client_for(cast.member).post(LIST, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


def test_an_oversized_body_is_413_before_it_is_parsed(cast, client_for, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client_for(cast.member).post(
        LIST, {"name": "x" * 2000, "dimensions": 2, "size": 5}, format="json"
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_suspended_tenant_cannot_use_the_product(cast, client_for, make_lattice):
    lattice = make_lattice()
    cast.tenant.status = "suspended"
    cast.tenant.save()
    client = client_for(cast.owner)

    for response in (
        client.get(LIST),
        client.get(detail(lattice)),
        client.post(LIST, {"name": "x", "dimensions": 2, "size": 5}, format="json"),
        client.post(f"{detail(lattice)}/path", {"start": [0, 0], "end": [1, 1]}, format="json"),
    ):
        assert response.status_code == 402
        assert response.json()["error"]["code"] == "tenant_suspended"
    assert Lattice.objects.count() == 1
    assert not LatticeOperation.objects.exists()
