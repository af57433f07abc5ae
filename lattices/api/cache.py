"""Per-process cache of lattice rows for the product API.

A lattice never changes after creation, only disappears, so each worker may keep the
rows it has served. An entry is keyed by (tenant, lattice) and was loaded through the
tenant-scoped queryset, so it can only ever be served to the tenant that owns it; it is
used only while the tenant's data version, read in the authentication's single Redis
round trip (AuthContext.data_tag), equals the one it was loaded under. Saving or
deleting any lattice bumps that version (signals below, connected in LatticesConfig),
so a deleted lattice is a 404 on every worker on the next request. Without Redis the
tag is None and every read asks the database.

Pages of the lattice list are kept the same way (PAGES), keyed by tenant and the full
URL the page was rendered for (its next/previous links are absolute URLs), under the
same data version: creating or deleting a lattice changes every page of that tenant.
"""

from __future__ import annotations

from typing import Any

from accounts.principals import PrincipalCache

# Rows with big explicit obstacle lists are not kept: memory stays bounded.
MAX_OBSTACLE_POINTS = 2_000
LATTICES = PrincipalCache(size=5_000)
# (tenant, absolute URL) -> the rendered page of GET /api/lattices.
PAGES = PrincipalCache(size=5_000)


def cacheable(lattice: Any) -> bool:
    obstacles = lattice.obstacles
    return not isinstance(obstacles, list) or len(obstacles) <= MAX_OBSTACLE_POINTS


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    from accounts.revocation import bump_versions
    from lattices.models import Lattice

    def on_lattice(sender: Any, instance: Any, **kwargs: Any) -> None:
        bump_versions(tenant_data=[instance.tenant_id])

    post_save.connect(on_lattice, sender=Lattice, weak=False, dispatch_uid="lattice-data-version")
    post_delete.connect(on_lattice, sender=Lattice, weak=False, dispatch_uid="lattice-data-version")
