from typing import Any

import pytest
from django.db import connection


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs real PostgreSQL (set DATABASE_URL=postgresql://...)")


@pytest.fixture
def scrape(client: Any) -> str:
    """GET /metrics as Prometheus reads it."""
    response = client.get("/metrics")
    assert response.status_code == 200
    return response.content.decode()
