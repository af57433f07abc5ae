"""`plan_limit()`: the one answer to every "how much may this tenant do" question.

Each function takes anything with a `subscription` (tenants.context.Subscribed): a
caller (tenants.context.AuthContext), whose subscription was read with it (accounts.
authentication, tenants.page_auth), so the request asks no query for its plan; or a
Tenant, whose `subscription` is billing's row (no row: the Free plan).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist

from billing.plans import DEFAULT_PLAN_CODE, LIMIT_NAMES, PlanSpec, get_plan_spec, next_plan_up
from tenants.context import Subscribed

# Statuses that keep the plan's limits. past_due is Stripe's retry window: the
# customer keeps the plan while Stripe retries; unpaid/canceled/incomplete do not.
ENTITLED_STATUSES = frozenset({"trialing", "active", "past_due"})


def entitled_plan_code(subscription: Subscribed | None) -> str:
    """The plan a subscription entitles its tenant to now (Free without one)."""
    if subscription is None or subscription.status not in ENTITLED_STATUSES:
        return DEFAULT_PLAN_CODE  # without reading its plan
    if (
        subscription.status == "trialing"
        and not subscription.stripe_subscription_id
        and subscription.trial_ended
    ):
        # The sign-up trial (no Stripe subscription behind it) ran out without Checkout.
        return DEFAULT_PLAN_CODE
    return subscription.plan_code


def tenant_plan_code(tenant: Any) -> str:
    """The plan of a caller or a Tenant (see the module's docstring)."""
    try:
        subscription = tenant.subscription
    except ObjectDoesNotExist:  # a Tenant without a subscription row: Free
        return DEFAULT_PLAN_CODE
    return entitled_plan_code(subscription)


def tenant_plan(tenant: Any) -> PlanSpec:
    return get_plan_spec(tenant_plan_code(tenant))


def plan_limit(tenant: Any, name: str) -> int | None:
    """The tenant's limit `name`; None means unlimited."""
    if name not in LIMIT_NAMES:
        raise KeyError(f"unknown limit {name!r}")
    return getattr(tenant_plan(tenant), name)


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
