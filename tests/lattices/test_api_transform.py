"""POST /api/lattices/{id}/transform: xor, rotate, scale."""

from __future__ import annotations

import base64
import hashlib
import os

import pytest

from lattices.models import LatticeOperation

pytestmark = pytest.mark.django_db

MIB = 1 << 20


def url(lattice) -> str:
    return f"/api/lattices/{lattice.pk}/transform"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_xor_round_trips_and_restores_its_buffer(cast, client_for, make_lattice):
    lattice = make_lattice()
    client = client_for(cast.member)
    data = os.urandom(4096)

    first = client.post(url(lattice), {"type": "xor", "data": b64(data), "key": "k"}, format="json")
    assert first.status_code == 200, first.json()
    body = first.json()
    assert body["output"] != b64(data)
    assert body["aux_sha256_before"] == body["aux_sha256_after"]
    assert len(body["aux_sha256_before"]) == 64 and body["aux_restored"] is True

    second = client.post(
        url(lattice), {"type": "xor", "data": body["output"], "key": "k"}, format="json"
    )
    assert base64.b64decode(second.json()["output"]) == data


def test_xor_stores_digests_never_the_data_or_key(cast, client_for, make_lattice):
    lattice = make_lattice()
    data = b"secret payload"

    body = (
        client_for(cast.member)
        .post(url(lattice), {"type": "xor", "data": b64(data), "key": "hunter2"}, format="json")
        .json()
    )

    operation = LatticeOperation.objects.get(pk=body["operation_id"])
    assert operation.kind == "transform_xor"
    assert operation.parameters == {
        "type": "xor",
        "data_length": len(data),
        "data_sha256": hashlib.sha256(data).hexdigest(),
        "key_length": 7,
    }
    stored = str(operation.parameters) + str(operation.result_summary)
    assert "hunter2" not in stored and b64(data) not in stored
    assert operation.result_summary["aux_restored"] is True


def test_xor_accepts_exactly_one_mebibyte(cast, client_for, make_lattice):
    lattice = make_lattice()
    response = client_for(cast.member).post(
        url(lattice), {"type": "xor", "data": b64(bytes(MIB)), "key": "k"}, format="json"
    )
    assert response.status_code == 200
    assert len(base64.b64decode(response.json()["output"])) == MIB


def test_xor_refuses_more_than_one_mebibyte(cast, client_for, make_lattice):
    lattice = make_lattice()

    response = client_for(cast.member).post(
        url(lattice), {"type": "xor", "data": b64(bytes(MIB + 1)), "key": "k"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "data_too_large"
    operation = LatticeOperation.objects.get()
    assert (operation.status, operation.parameters["data_length"]) == ("failed", MIB + 1)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"type": "xor", "data": "not base64!", "key": "k"}, "invalid_base64"),
        ({"type": "xor", "data": "QUJD", "key": ""}, "validation_error"),
        ({"type": "xor", "data": "QUJD"}, "validation_error"),
    ],
)
def test_bad_xor_input_is_400_and_recorded(cast, client_for, make_lattice, payload, code):
    lattice = make_lattice()

    response = client_for(cast.member).post(url(lattice), payload, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == code
    operation = LatticeOperation.objects.get()
    assert (operation.kind, operation.status, operation.error_code) == (
        "transform_xor",
        "failed",
        code,
    )
    assert "data" not in operation.parameters


def test_line_wrapped_base64_is_accepted(cast, client_for, make_lattice):
    lattice = make_lattice()
    wrapped = base64.encodebytes(b"x" * 200).decode()  # newline every 76 characters
    response = client_for(cast.member).post(
        url(lattice), {"type": "xor", "data": wrapped, "key": "k"}, format="json"
    )
    assert response.status_code == 200


def test_rotate_maps_points_and_the_inverse_maps_them_back(cast, client_for, make_lattice):
    lattice = make_lattice(dimensions=3, size=5)
    client = client_for(cast.member)
    points = [[0, 0, 1], [4, 1, 2], [2, 2, 2]]

    turned = client.post(
        url(lattice), {"type": "rotate", "axes": [0, 1], "k": 1, "points": points}, format="json"
    )
    assert turned.status_code == 200, turned.json()
    # One quarter turn: (x, y) -> (n-1-y, x)
    assert turned.json()["points"] == [[4, 0, 1], [3, 4, 2], [2, 2, 2]]

    back = client.post(
        url(lattice),
        {
            "type": "rotate",
            "axes": [0, 1],
            "k": 1,
            "inverse": True,
            "points": turned.json()["points"],
        },
        format="json",
    )
    assert back.json()["points"] == points
    assert LatticeOperation.objects.filter(kind="transform_rotate", status="succeeded").count() == 2


def test_scale_maps_points_proportionally(cast, client_for, make_lattice):
    lattice = make_lattice(dimensions=2, size=10)

    response = client_for(cast.member).post(
        url(lattice), {"type": "scale", "size": 100, "points": [[0, 9], [3, 5]]}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["points"] == [[0, 99], [33, 55]]


ROTATE, SCALE = "transform_rotate", "transform_scale"


def rotate(axes, points, k=1):
    return {"type": "rotate", "axes": axes, "k": k, "points": points}


def scale(size, points):
    return {"type": "scale", "size": size, "points": points}


@pytest.mark.parametrize(
    ("payload", "code", "kind"),
    [
        (rotate([0, 0], [[0, 0]]), "invalid_transform", ROTATE),
        (rotate([0, 2], [[0, 0]]), "invalid_transform", ROTATE),
        (rotate([0, 1], [[0, 7]]), "invalid_point", ROTATE),
        (rotate([0, 1], [[0, 0, 0]]), "invalid_point", ROTATE),
        (rotate([0], []), "validation_error", ROTATE),
        (scale(1, [[0, 0]]), "invalid_transform", SCALE),
        (scale(5000, [[0, 0]]), "invalid_transform", SCALE),
        (scale(10, "all"), "invalid_point", SCALE),
        (scale(10, [[0, 0]] * 10_001), "too_many_points", SCALE),
    ],
)
def test_bad_rotate_and_scale_input_is_400_and_recorded(
    cast, client_for, make_lattice, payload, code, kind
):
    lattice = make_lattice(dimensions=2, size=5)

    response = client_for(cast.member).post(url(lattice), payload, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == code
    operation = LatticeOperation.objects.get()
    assert (operation.kind, operation.status, operation.error_code) == (kind, "failed", code)
    assert len(str(operation.parameters)) < 2000  # long point lists are stored as summaries


@pytest.mark.parametrize("payload", [{}, {"type": "shear"}, ["xor"]])
def test_an_unknown_transform_type_is_400(cast, client_for, make_lattice, payload):
    lattice = make_lattice()
    response = client_for(cast.member).post(url(lattice), payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_a_viewer_cannot_transform(cast, client_for, make_lattice):
    lattice = make_lattice()
    response = client_for(cast.viewer).post(
        url(lattice), {"type": "xor", "data": "QUJD", "key": "k"}, format="json"
    )
    assert response.status_code == 403


def test_it_rejects_foreign_tenant_lattice(cast, client_for, make_lattice):
    theirs = make_lattice(tenant=cast.other_tenant)
    response = client_for(cast.owner).post(
        url(theirs), {"type": "xor", "data": "QUJD", "key": "k"}, format="json"
    )
    assert response.status_code == 404
    assert not LatticeOperation.objects.exists()


@pytest.mark.parametrize("kind", [{"name": "xor"}, ["xor"], 3, None])
def test_a_type_that_is_not_a_name_is_400(cast, client_for, make_lattice, kind):
    lattice = make_lattice()

    response = client_for(cast.member).post(
        f"/api/lattices/{lattice.pk}/transform", {"type": kind, "points": []}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["type"]
