"""The API answers JSON for the everyday Accept values and DRF's 406/404 for the rest."""

from __future__ import annotations

import pytest

from lattices import services
from tests.conftest import bearer_client, caller_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def lattice_url(cast):
    lattice = services.create_lattice(
        caller_for(cast.tenant, cast.owner.user), name="grid", dimensions=2, size=4
    )
    return f"/api/lattices/{lattice.id}"


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "application/json", "application/json; indent=2", "text/html, */*;q=0.8"],
)
def test_json_is_served_to_clients_that_accept_it(cast, lattice_url, accept):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}

    response = bearer_client(cast.owner).get(lattice_url, **headers)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["name"] == "grid"


def test_a_client_that_accepts_only_html_gets_406(cast, lattice_url):
    response = bearer_client(cast.owner).get(lattice_url, HTTP_ACCEPT="text/html")

    assert response.status_code == 406
    assert response.json()["error"]["code"] == "not_acceptable"


def test_the_format_override_is_still_honoured(cast, lattice_url):
    client = bearer_client(cast.owner)

    assert client.get(f"{lattice_url}?format=json").status_code == 200
    assert client.get(f"{lattice_url}?format=xml").status_code == 404
