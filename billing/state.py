"""Derive the tenant's billing state from what dj-stripe stored.

One function, `sync_tenant_subscription()`, recomputes `billing.Subscription`
from the tenant's Stripe subscriptions as dj-stripe last fetched them. It reads
only the database and gives the same answer however often and in whatever order
it runs, which is what makes webhook handling idempotent and order-independent.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from djstripe.models import Customer
from djstripe.models import Subscription as StripeSubscription

from billing.models import Plan, Subscription
from billing.plans import DEFAULT_PLAN_CODE, INTERVALS, parse_lookup_key
from tenants import audit, events
from tenants.models import Tenant

logger = logging.getLogger(__name__)

# Stripe statuses of a subscription that still exists for billing purposes.
LIVE_STATUSES = frozenset({"trialing", "active", "past_due", "unpaid", "incomplete", "paused"})


def timestamp_to_datetime(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    return datetime.fromtimestamp(int(value), tz=UTC)


def stripe_subscriptions_of(tenant: Tenant) -> QuerySet[StripeSubscription]:
    """Every Stripe subscription of the tenant's customers, as dj-stripe stored them."""
    customer_ids = set(Customer.objects.filter(subscriber=tenant).values_list("id", flat=True))
    local = Subscription.objects.filter(tenant=tenant).only("stripe_customer_id").first()
    if local is not None and local.stripe_customer_id:
        customer_ids.add(local.stripe_customer_id)
    return StripeSubscription.objects.filter(customer__id__in=customer_ids)


def current_stripe_subscription(tenant: Tenant) -> StripeSubscription | None:
    """The tenant's live Stripe subscription (the newest, should there be several)."""
    live = [
        sub
        for sub in stripe_subscriptions_of(tenant)
        if sub.stripe_data.get("status") in LIVE_STATUSES
    ]
    if not live:
        return None
    return max(live, key=lambda sub: (sub.stripe_data.get("created") or 0, sub.djstripe_id))


def first_item(data: dict) -> dict:
    items = (data.get("items") or {}).get("data") or []
    return items[0] if items else {}


def price_of(data: dict) -> dict:
    price = first_item(data).get("price") or data.get("plan") or {}
    return price if isinstance(price, dict) else {"id": price}


def resolve_plan(data: dict) -> tuple[Plan | None, str]:
    """Which of our plans (and interval) a Stripe subscription is for.

    By the price id stored by sync_stripe_plans, else the price's lookup key
    (catalytic_<code>_<interval>), else the subscription's metadata.plan_code.
    """
    price = price_of(data)
    price_id = price.get("id") or ""
    recurring = price.get("recurring") or {}
    interval = recurring.get("interval") or price.get("interval") or "month"
    if price_id:
        plan = Plan.objects.filter(
            Q(stripe_price_monthly_id=price_id) | Q(stripe_price_yearly_id=price_id)
        ).first()
        if plan is not None:
            return plan, "month" if plan.stripe_price_monthly_id == price_id else "year"
    parsed = parse_lookup_key(price.get("lookup_key"))
    if parsed is not None:
        code, interval = parsed
        return Plan.objects.filter(code=code).first(), interval
    metadata = data.get("metadata") or {}
    code = metadata.get("plan_code")
    if code:
        interval = metadata.get("interval") or interval
        return Plan.objects.filter(code=code).first(), interval
    return None, interval


def period_of(data: dict) -> tuple[datetime | None, datetime | None]:
    """The current period; newer API versions keep it on the subscription items."""
    item = first_item(data)
    start = data.get("current_period_start") or item.get("current_period_start")
    end = data.get("current_period_end") or item.get("current_period_end")
    return timestamp_to_datetime(start), timestamp_to_datetime(end)


def _record_plan_change(
    *, tenant: Tenant, actor: Any, old: str, new: str, source: str, request: Any = None
) -> None:
    audit.record(
        "plan_changed",
        tenant=tenant,
        actor=actor,
        request=request,
        target=new,
        previous_plan=old,
        plan=new,
        source=source,
    )


def subscription_for(tenant: Tenant) -> Subscription:
    """The tenant's Subscription row; a tenant that never had one is on Free."""
    local = Subscription.objects.select_related("plan").filter(tenant=tenant).first()
    if local is None:
        local, _ = Subscription.objects.select_related("plan").get_or_create(
            tenant=tenant, defaults={"plan": Plan.objects.get(code=DEFAULT_PLAN_CODE)}
        )
    return local


@transaction.atomic
def sync_tenant_subscription(
    *,
    tenant: Tenant,
    actor: Any = None,
    event_created: int | None = None,
    source: str = "stripe",
    request: Any = None,
) -> Subscription:
    """Recompute the tenant's Subscription from its Stripe subscriptions in our database."""
    local = Subscription.objects.select_for_update().filter(tenant=tenant).first()
    free = Plan.objects.get(code=DEFAULT_PLAN_CODE)
    if local is None:
        local = Subscription(tenant=tenant, plan=free, status=Subscription.Status.ACTIVE)
    previous_plan = local.plan.code if local.plan_id else DEFAULT_PLAN_CODE
    before = _customer_view(local) if local.pk else None

    stripe_sub = current_stripe_subscription(tenant)
    if stripe_sub is not None:
        fallback = local.plan if local.plan_id else free
        _apply_stripe_subscription(local, stripe_sub, fallback_plan=fallback)
    elif local.stripe_subscription_id:
        ended = StripeSubscription.objects.filter(id=local.stripe_subscription_id).first()
        if ended is not None and ended.stripe_data.get("status") not in LIVE_STATUSES:
            # The paid subscription ended and no other is live: the tenant is back on Free.
            local.plan = free
            local.status = Subscription.Status.ACTIVE
            local.interval = Subscription.Interval.MONTH
            local.current_period_start = timestamp_to_datetime(
                ended.stripe_data.get("ended_at") or ended.stripe_data.get("canceled_at")
            )
            local.current_period_end = None
            local.trial_end = None
            local.cancel_at_period_end = False
            local.canceled_at = timestamp_to_datetime(ended.stripe_data.get("canceled_at"))
            local.stripe_subscription_id = ""
    if event_created is not None:
        local.stripe_event_created = max(local.stripe_event_created or 0, int(event_created))
    local.save()

    if local.plan.code != previous_plan:
        _record_plan_change(
            tenant=tenant,
            actor=actor,
            old=previous_plan,
            new=local.plan.code,
            source=source,
            request=request,
        )
    after = _customer_view(local)
    if after != before:
        events.emit(tenant, events.SUBSCRIPTION_UPDATED, {**after, "previous": before})
    # Whoever holds this tenant (request.auth.tenant) sees the new state at once.
    tenant.subscription = local
    return local


def _customer_view(local: Subscription) -> dict[str, Any]:
    """What a customer's systems learn of their subscription (`subscription.updated`)."""
    end = local.current_period_end
    return {
        "plan": local.plan.code,
        "status": local.status,
        "interval": local.interval,
        "cancel_at_period_end": local.cancel_at_period_end,
        "current_period_end": end.isoformat() if end else None,
    }


def _apply_stripe_subscription(
    local: Subscription, stripe_sub: StripeSubscription, *, fallback_plan: Plan
) -> None:
    data = stripe_sub.stripe_data
    plan, interval = resolve_plan(data)
    if plan is None:
        # A price this app did not create: keep the plan we knew rather than guess.
        logger.error(
            "Stripe subscription %s has a price that matches no plan; keeping %s",
            stripe_sub.id,
            fallback_plan.code,
        )
        plan = fallback_plan
    start, end = period_of(data)
    local.plan = plan
    local.status = data.get("status") or Subscription.Status.ACTIVE
    local.interval = interval if interval in INTERVALS else Subscription.Interval.MONTH
    local.current_period_start = start
    local.current_period_end = end
    local.trial_end = timestamp_to_datetime(data.get("trial_end"))
    local.cancel_at_period_end = bool(data.get("cancel_at_period_end")) or bool(
        data.get("cancel_at")
    )
    local.canceled_at = timestamp_to_datetime(data.get("canceled_at"))
    local.stripe_subscription_id = stripe_sub.id
    local.stripe_customer_id = stripe_sub.customer_id or local.stripe_customer_id
