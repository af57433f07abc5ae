"""Every lattice API URL, for every role: reads for all, writes for members, 404 for outsiders."""

from __future__ import annotations

import pytest

from lattices.api import urls as lattice_api_urls
from lattices.models import Lattice

pytestmark = pytest.mark.django_db

# url name -> (method, suffix after /api/lattices/{id} or None for the collection, payload)
ENDPOINTS = {
    "lattice-list": [
        ("get", None, None),
        ("post", None, {"name": "new", "dimensions": 2, "size": 5}),
    ],
    "lattice-detail": [("get", "", None), ("delete", "", None)],
    "lattice-path": [("post", "/path", {"start": [0, 0], "end": [4, 4]})],
    "lattice-neighbors": [("post", "/neighbors", {"point": [0, 0], "radius": 2})],
    "lattice-transform": [
        ("post", "/transform", {"type": "xor", "data": "QUJD", "key": "k"}),
        ("post", "/transform", {"type": "rotate", "axes": [0, 1], "k": 1, "points": [[0, 1]]}),
        ("post", "/transform", {"type": "scale", "size": 9, "points": [[0, 1]]}),
    ],
    "lattice-operations": [("get", "/operations", None)],
}
CASES = [(name, *case) for name, cases in ENDPOINTS.items() for case in cases]


def test_the_matrix_covers_every_url():
    assert {pattern.name for pattern in lattice_api_urls.urlpatterns} == set(ENDPOINTS)


def _call(client, method, lattice, suffix, payload):
    path = "/api/lattices" if suffix is None else f"/api/lattices/{lattice.pk}{suffix}"
    return getattr(client, method)(path, payload, format="json")


@pytest.mark.parametrize("role", ["owner", "admin", "member", "viewer"])
@pytest.mark.parametrize(("name", "method", "suffix", "payload"), CASES)
def test_roles(cast, client_for, make_lattice, role, name, method, suffix, payload):
    lattice = make_lattice()

    response = _call(client_for(cast.by_role(role)), method, lattice, suffix, payload)

    if method != "get" and role == "viewer":
        assert response.status_code == 403, (name, response.json())
        assert Lattice.objects.filter(pk=lattice.pk).exists()
    else:
        assert response.status_code in (200, 201, 204), (name, role, response.content)


@pytest.mark.parametrize(("name", "method", "suffix", "payload"), CASES)
def test_outsiders_get_404_for_objects(
    cast, client_for, make_lattice, name, method, suffix, payload
):
    lattice = make_lattice()

    response = _call(client_for(cast.outsider), method, lattice, suffix, payload)

    if suffix is None:  # the collection is the outsider's own
        assert response.status_code in (200, 201)
        assert not Lattice.objects.filter(tenant=cast.tenant).exclude(pk=lattice.pk).exists()
    else:
        assert response.status_code == 404, (name, response.content)
        assert Lattice.objects.filter(pk=lattice.pk).exists()
