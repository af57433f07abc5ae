"""Billing writes: Checkout, the Portal, and plan changes through the API.

Free plan changes are local. Paid ones go to Stripe; the answer is stored
through dj-stripe at once and our Subscription recomputed from it, so the caller
sees the new state without waiting for the webhooks (which then confirm it).
Each write locks the tenant's Subscription row, so two concurrent purchases of
one tenant cannot both create a Stripe subscription. Every public function here
runs under `stripe_errors()`, so Stripe's exceptions (from our calls or dj-stripe's)
leave as the one set of JSON errors: the caller's fault 4xx, Stripe's fault 503.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from djstripe.models import Subscription as StripeSubscription

from accounts.email_verification import require_verified_email
from billing.customers import ensure_customer
from billing.models import Plan, Subscription
from billing.plans import DEFAULT_PLAN_CODE, PlanSpec, get_plan_spec
from billing.state import (
    current_stripe_subscription,
    first_item,
    stripe_subscriptions_of,
    sync_tenant_subscription,
)
from billing.stripe_client import require_billing, stripe_client, stripe_errors
from catalytic.errors import ServiceError
from tenants import audit
from tenants.models import Tenant

logger = logging.getLogger(__name__)

CHECKOUT_PATH = "/api/stripe/checkout"
# Stripe refuses a Checkout trial_end less than 48 hours away.
MIN_CHECKOUT_TRIAL = timedelta(hours=48)


def _paid_spec(plan_code: str) -> PlanSpec:
    spec = get_plan_spec(plan_code)
    if not spec.is_paid:
        raise ServiceError("The Free plan needs no payment.", code="plan_not_paid", status=400)
    return spec


def _price_id(plan: Plan, interval: str) -> str:
    price_id = plan.stripe_price_monthly_id if interval == "month" else plan.stripe_price_yearly_id
    if not price_id:
        raise ServiceError(
            f"The {plan.name} plan is not set up in Stripe yet.",
            code="plan_not_synced",
            status=503,
            details={"hint": "An operator runs `manage.py sync_stripe_plans`."},
        )
    return price_id


def _lock_subscription(tenant: Tenant) -> Subscription:
    local = Subscription.objects.select_for_update().filter(tenant=tenant).first()
    if local is None:
        local = Subscription.objects.create(
            tenant=tenant, plan=Plan.objects.get(code=DEFAULT_PLAN_CODE)
        )
    return local


def _trial_params(
    tenant: Tenant, local: Subscription, spec: PlanSpec, *, minimum: timedelta
) -> dict:
    """The plan's trial, once per tenant: the sign-up trial continues, no second one."""
    if not spec.trial_days or stripe_subscriptions_of(tenant).exists():
        return {}
    if local.trial_end is not None and not local.stripe_subscription_id:
        if (
            local.status == Subscription.Status.TRIALING
            and local.trial_end - timezone.now() >= minimum
        ):
            return {"trial_end": int(local.trial_end.timestamp())}
        return {}
    return {"trial_period_days": spec.trial_days}


def _metadata(tenant: Tenant, spec: PlanSpec, interval: str) -> dict[str, str]:
    return {"tenant_id": str(tenant.id), "plan_code": spec.code, "interval": interval}


def _store(data: Any) -> StripeSubscription:
    return StripeSubscription.sync_from_stripe_data(data, api_key=stripe_client().api_key)


def _set_local_plan(
    *, tenant: Tenant, local: Subscription, plan: Plan, actor: Any, request: Any
) -> Subscription:
    """A change that involves no Stripe subscription (Free, or the sign-up trial)."""

    previous = local.plan.code
    local.plan = plan
    local.status = Subscription.Status.ACTIVE
    local.interval = Subscription.Interval.MONTH
    local.trial_end = None
    local.cancel_at_period_end = False
    local.current_period_start = timezone.now()
    local.current_period_end = None
    if previous != plan.code:
        local.canceled_at = timezone.now()
    local.save()
    if previous != plan.code:
        audit.record(
            "plan_changed",
            tenant=tenant,
            actor=actor,
            request=request,
            target=plan.code,
            previous_plan=previous,
            plan=plan.code,
            source="api",
        )
    tenant.subscription = local  # whoever holds this tenant sees the new plan at once
    return local


# --- Checkout and Portal ----------------------------------------------------


@stripe_errors()
def start_checkout(*, tenant: Tenant, actor: Any, plan_code: str, interval: str) -> dict[str, str]:
    """A Stripe Checkout session for a paid plan: {session_id, url}; the person starting
    it must have proven their email (403 `email_unverified`)."""
    require_verified_email(actor)
    require_billing()
    spec = _paid_spec(plan_code)
    plan = Plan.objects.get(code=spec.code)
    price_id = _price_id(plan, interval)
    client = stripe_client()
    with transaction.atomic():
        local = _lock_subscription(tenant)
        if current_stripe_subscription(tenant) is not None:
            raise ServiceError(
                "This account already has a subscription; change its plan instead.",
                code="subscription_exists",
                status=409,
                details={"hint": "PUT /api/subscriptions/update, or the billing portal."},
            )
        customer = ensure_customer(tenant)
        metadata = _metadata(tenant, spec, interval)
        subscription_data: dict[str, Any] = {"metadata": metadata}
        subscription_data.update(_trial_params(tenant, local, spec, minimum=MIN_CHECKOUT_TRIAL))
        return_url = settings.STRIPE_RETURN_URL
        session = client.checkout.Session.create(
            mode="subscription",
            customer=customer.id,
            client_reference_id=str(tenant.id),
            line_items=[{"price": price_id, "quantity": 1}],
            subscription_data=subscription_data,
            metadata=metadata,
            success_url=f"{return_url}?checkout=success&session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=f"{return_url}?checkout=cancelled",
        )
    logger.info("checkout session %s for tenant %s (%s)", session.id, tenant.pk, spec.code)
    return {"session_id": session.id, "url": session.url}


@stripe_errors()
def open_portal(*, tenant: Tenant, actor: Any) -> dict[str, str]:
    """A Stripe Billing Portal session for the tenant's customer: {url}."""
    require_billing()
    customer = ensure_customer(tenant)
    session = stripe_client().billing_portal.Session.create(
        customer=customer.id, return_url=settings.STRIPE_RETURN_URL
    )
    return {"url": session.url}


# --- Subscription API ---------------------------------------------------------


def _default_payment_method(customer_id: str) -> str:
    data = stripe_client().Customer.retrieve(customer_id)
    settings_ = data.get("invoice_settings") or {}
    method = settings_.get("default_payment_method") or data.get("default_source") or ""
    return method if isinstance(method, str) else method.get("id", "")


def _subscribe(
    *,
    tenant: Tenant,
    local: Subscription,
    spec: PlanSpec,
    interval: str,
    payment_method_id: str | None,
    actor: Any,
    request: Any,
) -> Subscription:
    """Create the tenant's Stripe subscription (caller holds the row lock)."""
    require_billing()
    price_id = _price_id(Plan.objects.get(code=spec.code), interval)
    client = stripe_client()
    customer = ensure_customer(tenant)
    if payment_method_id:
        client.PaymentMethod.attach(payment_method_id, customer=customer.id)
        client.Customer.modify(
            customer.id, invoice_settings={"default_payment_method": payment_method_id}
        )
    elif not _default_payment_method(customer.id):
        raise ServiceError(
            "A paid plan needs a payment method on file.",
            code="payment_method_required",
            status=402,
            details={
                "hint": f"Start a Stripe Checkout (POST {CHECKOUT_PATH}) to enter a card, "
                "or pass payment_method_id.",
                "checkout_url": CHECKOUT_PATH,
            },
        )
    params: dict[str, Any] = {
        "customer": customer.id,
        "items": [{"price": price_id, "quantity": 1}],
        "metadata": _metadata(tenant, spec, interval),
        # A declined card fails the request instead of leaving an incomplete subscription.
        "payment_behavior": "error_if_incomplete",
    }
    if payment_method_id:
        params["default_payment_method"] = payment_method_id
    params.update(_trial_params(tenant, local, spec, minimum=timedelta(hours=1)))
    data = client.Subscription.create(**params)
    _store(data)
    return sync_tenant_subscription(tenant=tenant, actor=actor, source="api", request=request)


@stripe_errors()
def create_subscription(
    *,
    tenant: Tenant,
    actor: Any,
    plan_code: str,
    interval: str = "month",
    payment_method_id: str | None = None,
    request: Any = None,
) -> Subscription:
    spec = get_plan_spec(plan_code)
    if spec.is_paid:
        require_verified_email(actor)
    with transaction.atomic():
        local = _lock_subscription(tenant)
        if current_stripe_subscription(tenant) is not None:
            raise ServiceError(
                "This account already has a subscription; change its plan instead.",
                code="subscription_exists",
                status=409,
                details={"hint": "PUT /api/subscriptions/update"},
            )
        if not spec.is_paid:
            return _set_local_plan(
                tenant=tenant,
                local=local,
                plan=Plan.objects.get(code=spec.code),
                actor=actor,
                request=request,
            )
        return _subscribe(
            tenant=tenant,
            local=local,
            spec=spec,
            interval=interval,
            payment_method_id=payment_method_id,
            actor=actor,
            request=request,
        )


@stripe_errors()
def change_plan(
    *,
    tenant: Tenant,
    actor: Any,
    plan_code: str,
    interval: str | None = None,
    request: Any = None,
) -> Subscription:
    """Move to another plan. Data is kept on a downgrade; the new limits block new usage."""
    spec = get_plan_spec(plan_code)
    with transaction.atomic():
        local = _lock_subscription(tenant)
        interval = interval or local.interval
        live = current_stripe_subscription(tenant)
        if not spec.is_paid:
            if live is not None:
                raise ServiceError(
                    "Cancel the subscription to return to Free at the end of the period.",
                    code="cancel_to_downgrade",
                    status=409,
                    details={"hint": "DELETE /api/subscriptions/cancel"},
                )
            return _set_local_plan(
                tenant=tenant,
                local=local,
                plan=Plan.objects.get(code=spec.code),
                actor=actor,
                request=request,
            )
        if live is None:
            return _subscribe(
                tenant=tenant,
                local=local,
                spec=spec,
                interval=interval,
                payment_method_id=None,
                actor=actor,
                request=request,
            )
        require_billing()
        price_id = _price_id(Plan.objects.get(code=spec.code), interval)
        item = first_item(live.stripe_data)
        current_price = item.get("price") or {}
        current_price_id = (
            current_price.get("id") if isinstance(current_price, dict) else current_price
        )
        if current_price_id == price_id and not live.stripe_data.get("cancel_at_period_end"):
            return sync_tenant_subscription(
                tenant=tenant, actor=actor, source="api", request=request
            )
        data = stripe_client().Subscription.modify(
            live.id,
            items=[{"id": item.get("id"), "price": price_id, "quantity": 1}],
            proration_behavior="create_prorations",
            cancel_at_period_end=False,
            metadata=_metadata(tenant, spec, interval),
        )
        _store(data)
        return sync_tenant_subscription(tenant=tenant, actor=actor, source="api", request=request)


@stripe_errors()
def cancel_subscription(
    *, tenant: Tenant, actor: Any, at_period_end: bool = True, request: Any = None
) -> Subscription:
    """Cancel at the period's end (the default) or at once; Free stays Free."""
    with transaction.atomic():
        local = _lock_subscription(tenant)
        live = current_stripe_subscription(tenant)
        if live is None:
            if not local.plan.is_paid:
                raise ServiceError(
                    "There is no paid subscription to cancel.",
                    code="nothing_to_cancel",
                    status=409,
                )
            # The sign-up trial has no Stripe subscription behind it: end it here.
            return _set_local_plan(
                tenant=tenant,
                local=local,
                plan=Plan.objects.get(code=DEFAULT_PLAN_CODE),
                actor=actor,
                request=request,
            )
        client = stripe_client()
        if at_period_end:
            data = client.Subscription.modify(live.id, cancel_at_period_end=True)
        else:
            # A retry after a lost response must not cancel (and bill for) anything twice.
            data = client.Subscription.cancel(
                live.id, idempotency_key=f"catalytic-cancel-now-{live.id}"
            )
        _store(data)
        _audit_cancel(tenant=tenant, actor=actor, request=request, at_period_end=at_period_end)
        return sync_tenant_subscription(tenant=tenant, actor=actor, source="api", request=request)


def _audit_cancel(*, tenant: Tenant, actor: Any, request: Any, at_period_end: bool) -> None:

    audit.record(
        "subscription.cancelled",
        tenant=tenant,
        actor=actor,
        request=request,
        at_period_end=at_period_end,
    )
