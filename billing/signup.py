from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from billing.models import Plan, Subscription
from billing.plans import get_plan_spec
from tenants.models import Tenant


def start_subscription(*, tenant: Tenant, plan_code: str) -> Subscription:
    """The subscription a new tenant starts with.

    A paid plan starts as a trial of the plan's trial days: the customer can use
    it at once, and billing makes it real through Checkout before the trial ends.
    """
    spec = get_plan_spec(plan_code)
    plan = Plan.objects.get(code=spec.code)
    now = timezone.now()
    if spec.is_paid and spec.trial_days:
        trial_end = now + timedelta(days=spec.trial_days)
        return Subscription.objects.create(
            tenant=tenant,
            plan=plan,
            status=Subscription.Status.TRIALING,
            trial_end=trial_end,
            current_period_start=now,
            current_period_end=trial_end,
        )
    return Subscription.objects.create(
        tenant=tenant, plan=plan, status=Subscription.Status.ACTIVE, current_period_start=now
    )
