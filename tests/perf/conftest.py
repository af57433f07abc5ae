"""Fixtures for the performance tests: an API key, lattices, a mode switch for Redis."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from lattices import services
from lattices.models import Lattice
from tests.conftest import caller_for


def shared_cache() -> bool:
    """True when the tests run against a real Redis (the per-worker caches are in play)."""
    return bool(settings.REDIS_URL)


@pytest.fixture(autouse=True)
def _real_services_only(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs real PostgreSQL (set DATABASE_URL=postgresql://...)")
    if request.node.get_closest_marker("redis") and not shared_cache():
        pytest.skip("needs a real Redis (set REDIS_URL=redis://...): the caches need it")


@pytest.fixture
def lattice(cast: Any) -> Lattice:
    return services.create_lattice(
        caller_for(cast.tenant, cast.owner.user), name="grid", dimensions=2, size=10
    )


@pytest.fixture
def foreign_lattice(cast: Any) -> Lattice:
    return services.create_lattice(
        caller_for(cast.other_tenant, cast.outsider.user), name="theirs", dimensions=2, size=5
    )


@pytest.fixture
def api_key_client(cast: Any, client_for: Any) -> Any:
    """`api_key_client("write")` → (APIClient with X-API-Key, the key's id)."""

    def make(scope: str = "write") -> tuple[APIClient, str]:
        response = client_for(cast.owner).post(
            "/api/tenants/api-keys", {"name": f"{scope} key", "scope": scope}, format="json"
        )
        assert response.status_code == 201, response.content
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=response.json()["key"])
        return client, response.json()["id"]

    return make
