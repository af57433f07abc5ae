"""`plan_limit()`: the one answer to every "how much may this tenant do" question."""

from __future__ import annotations

from typing import Any

from billing.plans import DEFAULT_PLAN_CODE, LIMIT_NAMES, PlanSpec, get_plan_spec, next_plan_up


def tenant_plan_code(tenant: Any) -> str:
    subscription = getattr(tenant, "subscription", None)
    try:
        return subscription.plan.code if subscription is not None else DEFAULT_PLAN_CODE
    except Exception:  # noqa: BLE001 - a tenant without a subscription row is on Free
        return DEFAULT_PLAN_CODE


def tenant_plan(tenant: Any) -> PlanSpec:
    return get_plan_spec(tenant_plan_code(tenant))


def plan_limit(tenant: Any, name: str) -> int | None:
    """The tenant's limit `name`; None means unlimited."""
    if name not in LIMIT_NAMES:
        raise KeyError(f"unknown limit {name!r}")
    return getattr(tenant_plan(tenant), name)


def within_limit(tenant: Any, name: str, value: int) -> bool:
    limit = plan_limit(tenant, name)
    return limit is None or value <= limit


def upgrade_suggestion(tenant: Any, name: str, wanted: int | None = None) -> str | None:
    """The cheapest plan above the tenant's whose `name` limit admits `wanted`."""
    plan = tenant_plan(tenant)
    candidate = next_plan_up(plan.code)
    while candidate is not None:
        limit = getattr(candidate, name)
        if limit is None or wanted is None or wanted <= limit:
            return candidate.code
        candidate = next_plan_up(candidate.code)
    return None
