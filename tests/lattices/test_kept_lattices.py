"""A worker keeps the lattice rows it served (lattices.kept); a deletion reaches it at once."""

from __future__ import annotations

import pytest
from django_redis import get_redis_connection

from lattices import services

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _needs_redis(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs a real Redis (set REDIS_URL=redis://...)")


def url(lattice) -> str:
    return f"/api/lattices/{lattice.id}"


def test_a_lattice_deleted_by_a_colleague_is_gone_for_a_warm_worker(cast, client_for):
    lattice = services.create_lattice(
        tenant=cast.tenant, actor=cast.owner.user, name="kept", dimensions=2, size=5
    )
    reader = client_for(cast.viewer)
    for _ in range(3):
        assert reader.get(url(lattice)).status_code == 200
    assert client_for(cast.member).delete(url(lattice)).status_code == 204
    assert reader.get(url(lattice)).status_code == 404


def test_a_kept_lattice_is_never_served_to_another_tenant(cast, client_for):
    lattice = services.create_lattice(
        tenant=cast.tenant, actor=cast.owner.user, name="ours", dimensions=2, size=5
    )
    owner = client_for(cast.owner)
    for _ in range(3):
        assert owner.get(url(lattice)).status_code == 200
    response = client_for(cast.outsider).get(url(lattice))
    assert response.status_code == 404


def test_a_flushed_redis_forgets_no_deletion(cast, client_for):
    lattice = services.create_lattice(
        tenant=cast.tenant, actor=cast.owner.user, name="kept", dimensions=2, size=5
    )
    reader = client_for(cast.viewer)
    for _ in range(3):
        assert reader.get(url(lattice)).status_code == 200
    get_redis_connection("default").flushdb()
    services.delete_lattice(tenant=cast.tenant, actor=cast.owner.user, lattice=lattice)
    assert reader.get(url(lattice)).status_code == 404
