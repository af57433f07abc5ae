"""Fixtures for the product API: lattices made through the service, plan switching."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from billing.models import Plan, Subscription, UsageCounter
from billing.usage import current_period
from lattices import services
from lattices.models import Lattice
from tenants.context import AuthContext
from tenants.models import Tenant
from tests.conftest import caller_for


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs real PostgreSQL (set DATABASE_URL=postgresql://...)")


@pytest.fixture
def make_lattice(cast: Any) -> Any:
    """`make_lattice(dimensions=2, size=5, obstacles=..., tenant=...)` through the service."""

    def make(
        name: str = "grid",
        *,
        dimensions: int = 2,
        size: int = 5,
        obstacles: Any = None,
        tenant: Tenant | None = None,
    ) -> Lattice:
        tenant = tenant or cast.tenant
        owner = cast.owner if tenant == cast.tenant else cast.outsider
        return services.create_lattice(
            caller_for(tenant, owner.user),
            name=name,
            dimensions=dimensions,
            size=size,
            obstacles=obstacles,
        )

    return make


@pytest.fixture
def set_plan(plans: dict[str, Plan]) -> Any:
    """`set_plan(tenant, "enterprise")`: move a tenant to another plan."""

    def switch(tenant: Tenant, code: str) -> None:
        Subscription.objects.filter(tenant=tenant).update(plan=plans[code])
        # The cached relation on this instance must not keep answering with the old plan.
        tenant.refresh_from_db()

    return switch


@pytest.fixture
def set_calls_used() -> Any:
    """`set_calls_used(tenant, 990)`: pretend this month's calls were already spent."""

    def spend(tenant: Tenant, used: int) -> None:
        UsageCounter.objects.update_or_create(
            tenant=tenant, period_start=current_period().start, defaults={"api_calls": used}
        )

    return spend


def calls_used(tenant: Tenant) -> int:
    row = UsageCounter.objects.filter(tenant=tenant, period_start=current_period().start).first()
    return row.api_calls if row else 0


def by(cast: Any) -> AuthContext:
    """The caller of a metered call made outside a request: tenant A's member."""
    return caller_for(cast.tenant, cast.member.user)
