"""`plan_limit()`: the one answer to every "how much may this tenant do" question.

Each function takes a Tenant, or the AuthContext of an API request, whose subscription
was read with the caller (accounts.authentication): the API asks no query for its plan.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from billing.plans import DEFAULT_PLAN_CODE, LIMIT_NAMES, PlanSpec, get_plan_spec, next_plan_up
from tenants.context import AuthContext, SubscriptionFacts

# Statuses that keep the plan's limits. past_due is Stripe's retry window: the
# customer keeps the plan while Stripe retries; unpaid/canceled/incomplete do not.
ENTITLED_STATUSES = frozenset({"trialing", "active", "past_due"})


def entitled_plan_code(subscription: SubscriptionFacts | None) -> str:
    """The plan a subscription entitles its tenant to now (Free without one)."""
    if subscription is None or subscription.status not in ENTITLED_STATUSES:
        return DEFAULT_PLAN_CODE
    if (
        subscription.status == "trialing"
        and not subscription.stripe_subscription_id
        and subscription.trial_ended
    ):
        # The sign-up trial (no Stripe subscription behind it) ran out without Checkout.
        return DEFAULT_PLAN_CODE
    return subscription.plan_code


def tenant_plan_code(tenant: Any) -> str:
    """The tenant's plan: from the caller's facts when `tenant` is an AuthContext (read
    with the caller, no query), else from the Tenant's subscription row."""
    if isinstance(tenant, AuthContext):
        return entitled_plan_code(tenant.subscription)
    try:
        subscription = tenant.subscription
    except (ObjectDoesNotExist, AttributeError):  # no subscription row: Free
        return DEFAULT_PLAN_CODE
    if subscription is None or subscription.status not in ENTITLED_STATUSES:
        return DEFAULT_PLAN_CODE  # without reading its plan row
    return entitled_plan_code(
        SubscriptionFacts(
            subscription.status,
            subscription.plan.code,
            subscription.trial_end is not None and subscription.trial_end <= timezone.now(),
            subscription.stripe_subscription_id,
        )
    )


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
