"""Writes to the product: create and delete lattices (within plan limits).

The computations (path, neighbours, transforms) live in `lattices.operations`. Both the API
and the pages call these functions with their caller (tenants.context.AuthContext), so
every rule (suspension, plan limits, audit) is enforced here and nowhere else. Input
arrives typed: the API's serializers and the pages' forms check its shape.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from billing.limits import plan_limit, tenant_plan, upgrade_suggestion
from catalytic.errors import ServiceError
from lattices import engine
from lattices.exceptions import InvalidRequest, PlanLimitExceeded, TenantSuspended
from lattices.models import Lattice
from tenants import audit
from tenants.context import AuthContext
from tenants.models import Tenant


def ensure_product_access(caller: AuthContext) -> None:
    """A suspended (or deleted) tenant may log in and pay, but not use the product.

    The caller carries its tenant's status; the row is read only to give the reason."""
    if not caller.tenant_active:
        tenant = caller.tenant
        reason = f" ({tenant.suspended_reason})" if tenant.suspended_reason else ""
        raise TenantSuspended(
            f"This tenant is {tenant.status}{reason}; the product is unavailable until the "
            "account is reactivated. Billing stays open so the account can be settled.",
            extra={"status": tenant.status},
        )


def ensure_owned(tenant_id: Any, lattice: Lattice) -> None:
    # SECURITY: callers fetch lattices through the scoped queryset already; this guards
    # the service boundary itself, so a page that forgets scoping still cannot cross tenants.
    if lattice.tenant_id != tenant_id:
        raise ServiceError("Lattice not found.", code="not_found", status=404)


def plan_limit_error(
    caller: AuthContext, name: str, *, allowed: int, wanted: int, message: str
) -> PlanLimitExceeded:
    """The 402 for a valid request beyond the plan; `message` uses {plan}, {allowed}, {wanted}."""
    plan = tenant_plan(caller)
    return PlanLimitExceeded(
        message.format(plan=plan.name, allowed=allowed, wanted=wanted),
        details={"allowed": allowed, "requested": wanted},
        extra={
            "limit": name,
            "plan": plan.code,
            "upgrade_to": upgrade_suggestion(caller, name, wanted),
        },
    )


def _check_shape_limits(caller: AuthContext, lattice: engine.Lattice) -> None:
    for name, wanted, message in (
        (
            "max_dimensions",
            lattice.dimensions,
            "The {plan} plan allows lattices of up to {allowed} dimensions; this one has {wanted}.",
        ),
        (
            "max_lattice_size",
            lattice.size,
            "The {plan} plan allows up to {allowed} points per axis; this lattice has {wanted}.",
        ),
    ):
        allowed = plan_limit(caller, name)
        if allowed is not None and wanted > allowed:
            raise plan_limit_error(caller, name, allowed=allowed, wanted=wanted, message=message)


def create_lattice(
    caller: AuthContext, *, name: str, dimensions: int, size: int, obstacles: Any = None
) -> Lattice:
    """Create a lattice within the tenant's plan.

    Invalid shapes are `InvalidRequest` (400) whatever the plan; valid ones beyond the plan
    are `PlanLimitExceeded` (402) naming the plan to upgrade to.
    """
    ensure_product_access(caller)
    tenant = caller.tenant
    try:
        spec = engine.Lattice(dimensions, size, obstacles)
    except engine.LatticeError as exc:
        raise InvalidRequest(str(exc), code="invalid_lattice")
    _check_shape_limits(caller, spec)

    with transaction.atomic():
        # Lock the tenant row so two concurrent creations cannot both pass the count check.
        Tenant.objects.select_for_update().only("pk").get(pk=tenant.pk)
        allowed = plan_limit(caller, "max_lattices")
        used = Lattice.objects.for_tenant(tenant).count()
        if allowed is not None and used >= allowed:
            raise plan_limit_error(
                caller,
                "max_lattices",
                allowed=allowed,
                wanted=used + 1,
                message="The {plan} plan allows {allowed} lattices and they are all in use; "
                "delete one or upgrade.",
            )
        lattice = Lattice.objects.create(
            tenant=tenant,
            name=name,
            dimensions=spec.dimensions,
            size=spec.size,
            obstacles=spec.obstacle_spec(),
            created_by_id=caller.user_id,
        )
        audit.record(
            "lattice.created",
            tenant=tenant,
            actor=caller.user,
            target=str(lattice.pk),
            **_audit_metadata(lattice, caller),
        )
    return lattice


def delete_lattice(caller: AuthContext, lattice: Lattice) -> None:
    """Delete a lattice and its operation history (usage already metered stays counted)."""
    ensure_product_access(caller)
    ensure_owned(caller.tenant_id, lattice)
    tenant = caller.tenant
    with transaction.atomic():
        # Lock the row first: an operation being recorded meanwhile then waits for this
        # deletion and finds its lattice gone, instead of adding a history row that the
        # cascade has already passed (which would fail the deletion itself).
        Lattice.objects.select_for_update().filter(pk=lattice.pk).values_list("pk").first()
        audit.record(
            "lattice.deleted",
            tenant=tenant,
            actor=caller.user,
            target=str(lattice.pk),
            **_audit_metadata(lattice, caller),
        )
        lattice.delete()


def _audit_metadata(lattice: Lattice, caller: AuthContext) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": lattice.name,
        "dimensions": lattice.dimensions,
        "size": lattice.size,
        "obstacles": lattice.obstacle_kind,
    }
    if caller.via_api_key:
        metadata["api_key_id"] = str(caller.api_key_id)
    return metadata
