"""Our side of Stripe's webhooks: derive the tenant's state, send the event's email.

dj-stripe stores each event and re-fetches its object from Stripe before these
run (its receivers are connected first, in its own `ready()`), so the rows we
read are Stripe's current truth, not the possibly stale webhook body. State is
recomputed by `billing.state.sync_tenant_subscription`, which depends only on
those rows: duplicates, replays and out-of-order deliveries end in the same
state.

Each handler runs inside the transaction of dj-stripe's `Event.process`: an
exception rolls back the Event row and everything done here, the endpoint
answers 500, and Stripe's retry processes the event afresh. dj-stripe stores an
event id once, so a duplicate delivery never reaches these handlers; every email
also carries `dedupe_key=f"{event.id}:{kind}"` as a second guard.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import stripe
from django.conf import settings
from django.urls import reverse
from djstripe.models import Customer, Event, Invoice, PaymentMethod
from djstripe.models import Subscription as StripeSubscription
from djstripe.models.checkout import Session
from djstripe.signals import WEBHOOK_SIGNALS

from billing.customers import link_customer, tenant_for_customer, tenant_from_metadata
from billing.models import Subscription
from billing.state import sync_tenant_subscription
from billing.stripe_client import stripe_client
from notifications.emails import (
    send_account_suspended,
    send_payment_failed,
    send_payment_succeeded,
    send_subscription_cancelled,
    send_trial_ending,
)
from tenants.models import Tenant
from tenants.services import reactivate_tenant, suspend_tenant

logger = logging.getLogger(__name__)

# Prefix of the suspension reason billing writes: a payment reactivates only a
# tenant that billing suspended, never one suspended by staff for other reasons.
BILLING_SUSPENSION_PREFIX = "Billing:"
SUSPENSION_REASON = (
    f"{BILLING_SUSPENSION_PREFIX} payment failed and Stripe stopped retrying. "
    "Update your payment method and pay the open invoice to reactivate."
)

Handler = Callable[[Event], None]


def _id(value: Any) -> str:
    """A Stripe reference is either an id or an expanded object."""
    if isinstance(value, dict):
        return value.get("id") or ""
    return value or ""


def _event_created(event: Event) -> int:
    created = (event.stripe_data or {}).get("created")
    if created:
        return int(created)
    return int(event.created.timestamp()) if event.created else 0


def _event_object(event: Event) -> dict:
    return (event.data or {}).get("object") or {}


def _dedupe(event: Event, kind: str) -> str:
    return f"{event.id}:{kind}"


def _stored(model: Any, object_id: str) -> dict:
    """The object as dj-stripe stored it for this event (re-fetched from Stripe)."""
    row = model.objects.filter(id=object_id).first() if object_id else None
    return row.stripe_data if row is not None else {}


def refresh_subscription(subscription_id: str) -> StripeSubscription | None:
    """Re-fetch a subscription through dj-stripe.

    Invoice and Checkout events carry the subscription only as a reference, which
    dj-stripe does not refresh when it already has a row: ask Stripe for the
    current status (past_due, unpaid, ...) before deriving state from it.
    """
    if not subscription_id:
        return None
    client = stripe_client()
    data = client.Subscription.retrieve(subscription_id)
    return StripeSubscription.sync_from_stripe_data(data, api_key=client.api_key)


def invoice_subscription_id(invoice: dict) -> str:
    """The invoice's subscription; newer API versions keep it under `parent`."""
    direct = _id(invoice.get("subscription"))
    if direct:
        return direct
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return _id(details.get("subscription"))


def _tenant_for_subscription(data: dict) -> Tenant | None:
    customer_id = _id(data.get("customer"))
    tenant = tenant_for_customer(customer_id)
    if tenant is None:
        # SECURITY: metadata is written by this app's server (or Stripe staff), never
        # by the paying customer, so it may name the tenant of an unlinked customer.
        tenant = tenant_from_metadata(data.get("metadata") or {})
        customer = Customer.objects.filter(id=customer_id).first() if customer_id else None
        if tenant is not None and customer is not None:
            link_customer(customer, tenant)
    if tenant is None:
        logger.warning("Stripe customer %s belongs to no tenant; event ignored", customer_id)
    return tenant


def _subscription_and_tenant(event: Event) -> tuple[dict[str, Any], Tenant | None]:
    """The event's subscription (as stored by dj-stripe when it is) and its tenant, if any."""
    obj = _event_object(event)
    subscription = _stored(StripeSubscription, obj.get("id", "")) or obj
    return subscription, _tenant_for_subscription(subscription)


def _gave_up_on_payment(subscription: dict) -> bool:
    """Stripe exhausted its retries: the subscription is unpaid or canceled for non-payment."""
    status = subscription.get("status")
    if status == "unpaid":
        return True
    reason = (subscription.get("cancellation_details") or {}).get("reason")
    return status == "canceled" and reason == "payment_failed"


def _suspend_for_non_payment(tenant: Tenant, event: Event) -> None:
    tenant.refresh_from_db(fields=["status", "suspended_reason"])
    if tenant.status != Tenant.Status.ACTIVE:
        # Already suspended (by an earlier event, or by staff): one email per suspension.
        return
    suspend_tenant(tenant=tenant, actor=None, reason=SUSPENSION_REASON)
    send_account_suspended(
        tenant=tenant,
        reason=SUSPENSION_REASON,
        dedupe_key=_dedupe(event, "account_suspended"),
    )


def _reactivate_after_payment(tenant: Tenant, local: Subscription) -> None:
    tenant.refresh_from_db(fields=["status", "suspended_reason"])
    if tenant.status != Tenant.Status.SUSPENDED:
        return
    if not (tenant.suspended_reason or "").startswith(BILLING_SUSPENSION_PREFIX):
        return
    if local.status in (Subscription.Status.ACTIVE, Subscription.Status.TRIALING):
        reactivate_tenant(tenant=tenant, actor=None)


# --- Handlers ---------------------------------------------------------------


def on_checkout_completed(event: Event) -> None:
    """A Checkout paid for a subscription: link the Stripe customer to the tenant the
    session names, re-fetch the subscription and derive the tenant's plan from it."""
    obj = _event_object(event)
    session = _stored(Session, obj.get("id", "")) or obj
    if session.get("mode") != "subscription":
        return
    metadata = session.get("metadata") or {}
    tenant = tenant_from_metadata(metadata) or tenant_from_metadata(
        {"tenant_id": session.get("client_reference_id")}
    )
    customer_id = _id(session.get("customer"))
    if tenant is None:
        tenant = tenant_for_customer(customer_id)
    if tenant is None:
        logger.warning("Checkout session %s names no tenant; ignored", session.get("id"))
        return
    owner = tenant_for_customer(customer_id)
    if owner is not None and owner.pk != tenant.pk:
        # SECURITY: a customer pays for one tenant only; metadata naming another
        # tenant must not move a paid subscription across tenants.
        logger.error(
            "Checkout session %s names tenant %s but customer %s pays for %s; ignored",
            session.get("id"),
            tenant.pk,
            customer_id,
            owner.pk,
        )
        return
    if customer_id:
        customer = Customer.objects.filter(id=customer_id).first()
        if customer is None:
            client = stripe_client()
            customer = Customer.sync_from_stripe_data(
                client.Customer.retrieve(customer_id), api_key=client.api_key
            )
        link_customer(customer, tenant)
    refresh_subscription(_id(session.get("subscription")))
    sync_tenant_subscription(tenant=tenant, event_created=_event_created(event), source="checkout")


def on_subscription_changed(event: Event) -> None:
    """A subscription was created or updated: derive the tenant's plan and status; suspend
    the tenant when Stripe gave up collecting payment."""
    subscription, tenant = _subscription_and_tenant(event)
    if tenant is None:
        return
    sync_tenant_subscription(tenant=tenant, event_created=_event_created(event))
    if _gave_up_on_payment(subscription):
        _suspend_for_non_payment(tenant, event)


def on_subscription_deleted(event: Event) -> None:
    """A subscription ended: the tenant is back on Free and hears of it once (by the
    closing email when it ended because the workspace was closed)."""
    subscription, tenant = _subscription_and_tenant(event)
    if tenant is None:
        return
    local = sync_tenant_subscription(tenant=tenant, event_created=_event_created(event))
    if _gave_up_on_payment(subscription):
        _suspend_for_non_payment(tenant, event)
    if tenant.status == Tenant.Status.DELETED:
        # Closing the workspace cancelled it, and the closing email (workspaces/closing.py)
        # already told the billing address that nothing more will be charged.
        return
    if local.stripe_subscription_id in ("", subscription.get("id")) and not local.plan.is_paid:
        # Only when the tenant is really back on Free: a replaced subscription ending
        # while another is live is not a cancellation the customer needs to hear about.
        send_subscription_cancelled(tenant=tenant, dedupe_key=_dedupe(event, "cancelled"))


def on_trial_will_end(event: Event) -> None:
    """Stripe warns that a trial ends soon: email the days left, unless it already ended."""
    subscription, tenant = _subscription_and_tenant(event)
    if tenant is None:
        return
    sync_tenant_subscription(tenant=tenant, event_created=_event_created(event))
    trial_end = subscription.get("trial_end")
    if subscription.get("status") != "trialing" or not trial_end:
        # A late delivery after the trial already ended (or was cancelled): nothing to warn.
        return
    days_left = max(0, math.ceil((int(trial_end) - _event_created(event)) / 86400))
    send_trial_ending(tenant=tenant, days_left=days_left, dedupe_key=_dedupe(event, "trial_ending"))


def _card_last4(invoice: dict, subscription: StripeSubscription | None) -> str:
    """Last four digits of the card the invoice was paid with, best effort."""
    candidates = [_id(invoice.get("default_payment_method"))]
    if subscription is not None:
        candidates.append(_id(subscription.stripe_data.get("default_payment_method")))
    customer_id = _id(invoice.get("customer"))
    customer = Customer.objects.filter(id=customer_id).first()
    if customer is not None:
        settings_ = customer.stripe_data.get("invoice_settings") or {}
        candidates.append(_id(settings_.get("default_payment_method")))
    last4 = _first_card_last4(candidates)
    if last4 or not customer_id:
        return last4
    # The customer's default card may have changed since it was stored here (customer
    # events are acknowledged without being synced): ask Stripe once.
    try:
        fresh = stripe_client().Customer.retrieve(customer_id)
    except stripe.StripeError:
        logger.warning("customer %s could not be read", customer_id)
        return ""
    settings_ = fresh.get("invoice_settings") or {}
    return _first_card_last4([_id(settings_.get("default_payment_method"))])


def _first_card_last4(payment_method_ids: list[str | None]) -> str:
    for payment_method_id in filter(None, payment_method_ids):
        stored = PaymentMethod.objects.filter(id=payment_method_id).first()
        if stored is not None:
            payment_method = stored.stripe_data
        else:
            try:
                payment_method = stripe_client().PaymentMethod.retrieve(payment_method_id)
            except stripe.StripeError:
                logger.warning("payment method %s could not be read", payment_method_id)
                continue
        card = payment_method.get("card") or {}
        if card.get("last4"):
            return str(card["last4"])
    return ""


def _invoice_and_tenant(event: Event) -> tuple[dict[str, Any], Any]:
    """The event's invoice (as stored by dj-stripe when it is) and its tenant, if any."""
    obj = _event_object(event)
    invoice = _stored(Invoice, obj.get("id", "")) or obj
    tenant = tenant_for_customer(_id(invoice.get("customer")))
    if tenant is None:
        logger.warning("Invoice %s belongs to no tenant; ignored", invoice.get("id"))
    return invoice, tenant


def on_payment_succeeded(event: Event) -> None:
    """An invoice was paid: derive the tenant's state, reactivate a tenant billing had
    suspended, and send the receipt (not for $0 invoices)."""
    invoice, tenant = _invoice_and_tenant(event)
    if tenant is None:
        return
    subscription = refresh_subscription(invoice_subscription_id(invoice))
    local = sync_tenant_subscription(tenant=tenant, event_created=_event_created(event))
    _reactivate_after_payment(tenant, local)
    amount = int(invoice.get("amount_paid") or 0)
    if amount <= 0:
        # $0 invoices (a trial's first invoice) are not receipts worth an email.
        return
    send_payment_succeeded(
        tenant=tenant,
        amount_cents=amount,
        currency=invoice.get("currency") or "usd",
        card_last4=_card_last4(invoice, subscription),
        invoice_url=invoice.get("hosted_invoice_url") or None,
        dedupe_key=_dedupe(event, "payment_succeeded"),
    )


def on_payment_failed(event: Event) -> None:
    """An invoice payment failed: mark the subscription past due (unless a later event
    already moved it on), ask for a new card, and suspend once Stripe gives up."""
    invoice, tenant = _invoice_and_tenant(event)
    if tenant is None:
        return
    subscription_id = invoice_subscription_id(invoice)
    subscription = refresh_subscription(subscription_id)
    before = Subscription.objects.filter(tenant=tenant).values_list(
        "stripe_event_created", flat=True
    )
    newest_seen = next(iter(before), None) or 0
    local = sync_tenant_subscription(tenant=tenant, event_created=_event_created(event))
    if invoice.get("status") == "paid":
        # Delivered after a later attempt succeeded: the failure is history.
        return
    if (
        _event_created(event) >= newest_seen
        and local.stripe_subscription_id == subscription_id
        and local.status in (Subscription.Status.ACTIVE, Subscription.Status.TRIALING)
    ):
        # Stripe may report the event before the subscription turns past_due.
        local.status = Subscription.Status.PAST_DUE
        local.save(update_fields=["status", "updated_at"])
    send_payment_failed(
        tenant=tenant,
        amount_cents=int(invoice.get("amount_due") or 0),
        currency=invoice.get("currency") or "usd",
        update_payment_url=f"{settings.SITE_URL}{reverse('billing:portal')}",
        dedupe_key=_dedupe(event, "payment_failed"),
    )
    if subscription is not None and _gave_up_on_payment(subscription.stripe_data):
        _suspend_for_non_payment(tenant, event)


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": on_checkout_completed,
    "customer.subscription.created": on_subscription_changed,
    "customer.subscription.updated": on_subscription_changed,
    "customer.subscription.deleted": on_subscription_deleted,
    "customer.subscription.trial_will_end": on_trial_will_end,
    "invoice.payment_succeeded": on_payment_succeeded,
    "invoice.payment_failed": on_payment_failed,
}


def _receiver(sender: Any, event: Event, **kwargs: Any) -> None:
    handler = HANDLERS.get(event.type)
    if handler is not None:
        handler(event)


def connect_handlers() -> None:
    """Called from BillingConfig.ready(), after dj-stripe connected its own receivers."""
    for event_type in HANDLERS:
        WEBHOOK_SIGNALS[event_type].connect(
            _receiver, sender=Event, weak=False, dispatch_uid=f"billing:{event_type}"
        )
