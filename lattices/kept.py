"""Each worker's kept lattice rows for the product API, valid while their tenant's stamp holds.

A lattice never changes after it is created, it only disappears, so a worker may keep
the rows it served: looking one up through the ORM is the largest part of a lattice read
(docs/performance.md). An entry is keyed by (tenant, lattice) and was loaded through the
tenant-scoped queryset, so it can only be served to the tenant that owns it. It is used
only while the tenant's lattice stamp (accounts.principals) equals the one it was loaded
under; saving or deleting any lattice of the tenant increments that stamp, so a deleted
lattice is a 404 on every worker at the very next request. The stamp is read with the
member's, in one round trip. Without Redis nothing is kept.
"""

from __future__ import annotations

from typing import Any

from accounts.principals import STAMPS, PrincipalCache, connect_model, read_with_tenant
from lattices.models import Lattice

# Rows with big explicit obstacle lists are not kept: memory stays bounded.
MAX_OBSTACLE_POINTS = 2_000
LATTICES = PrincipalCache(size=5_000)


def lattices_stamp(tenant_id: Any) -> str:
    return f"lattices:{tenant_id}"


def keepable(lattice: Lattice) -> bool:
    obstacles = lattice.obstacles
    return not isinstance(obstacles, list) or len(obstacles) <= MAX_OBSTACLE_POINTS


def connect_signals() -> None:
    connect_model(Lattice, lambda instance: STAMPS.bump([lattices_stamp(instance.tenant_id)]))
    # Read with the member's stamps: a lattice read then costs no round trip of its own.
    read_with_tenant(lattices_stamp)
