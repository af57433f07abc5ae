"""An owner's switch that makes two-factor sign-in mandatory for the whole workspace.

While it is on, a member who has not enrolled may only enrol (tenants.permissions for
the API, tenants.page_auth for the pages); API keys are programs and are never asked.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts import two_factor
from catalytic.errors import ServiceError
from tenants import audit
from tenants.models import Role, Tenant


def set_requirement(
    *, tenant: Tenant, actor: Any, actor_role: str, required: bool, request: Any = None
) -> Tenant:
    """Require (or stop requiring) two-factor sign-in of the tenant's members: owners only,
    and an owner who has not enrolled cannot require it (it would lock them out too)."""
    if actor_role != Role.OWNER:
        raise ServiceError(
            "Only an owner may change the two-factor requirement.",
            code="insufficient_role",
            status=403,
        )
    if required and not two_factor.is_enabled(actor):
        raise ServiceError(
            "Turn on two-factor sign-in for your own account before requiring it of the team.",
            code="two_factor_not_enabled",
            status=409,
        )
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if tenant.require_two_factor != required:
            tenant.require_two_factor = required
            tenant.save(update_fields=["require_two_factor", "updated_at"])
            audit.record(
                "tenant.two_factor_requirement",
                tenant=tenant,
                actor=actor,
                request=request,
                required=required,
            )
    return tenant
