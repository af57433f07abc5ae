"""The tenant is the Stripe customer: find it, or create it on first need."""

from __future__ import annotations

import logging
import uuid

from django.db import transaction
from djstripe.models import Customer

from billing.models import Subscription
from billing.stripe_client import stripe_client, stripe_errors
from tenants.models import Tenant

logger = logging.getLogger(__name__)


def customer_for_tenant(tenant: Tenant) -> Customer | None:
    """The tenant's Stripe customer as dj-stripe stored it, without calling Stripe."""
    local = Subscription.objects.filter(tenant=tenant).only("stripe_customer_id").first()
    if local is not None and local.stripe_customer_id:
        customer = Customer.objects.filter(id=local.stripe_customer_id).first()
        if customer is not None:
            return customer
    return Customer.objects.filter(subscriber=tenant).order_by("-created", "-djstripe_id").first()


def customer_ids_of(tenant: Tenant) -> set[str]:
    """Every Stripe customer that ever paid for the tenant, from our records only."""
    ids = set(Customer.objects.filter(subscriber=tenant).values_list("id", flat=True))
    local = Subscription.objects.filter(tenant=tenant).only("stripe_customer_id").first()
    if local is not None and local.stripe_customer_id:
        ids.add(local.stripe_customer_id)
    return ids


@stripe_errors()
def ensure_customer(tenant: Tenant) -> Customer:
    """The tenant's Stripe customer, created with metadata.tenant_id if it has none."""
    client = stripe_client()
    with transaction.atomic():
        # The row lock serialises concurrent first purchases of one tenant; the
        # idempotency key covers a retry after a lost response.
        local = Subscription.objects.select_for_update().filter(tenant=tenant).first()
        customer = customer_for_tenant(tenant)
        if customer is None:
            data = client.Customer.create(
                email=tenant.billing_email,
                name=tenant.name,
                metadata={"tenant_id": str(tenant.id), "tenant_slug": tenant.slug},
                idempotency_key=f"catalytic-customer-{tenant.id}",
            )
            customer = Customer.sync_from_stripe_data(data, api_key=client.api_key)
        link_customer(customer, tenant, local=local)
        return customer


def link_customer(customer: Customer, tenant: Tenant, *, local: Subscription | None = None) -> None:
    """Record on both sides that `customer` pays for `tenant`."""
    if customer.subscriber_id != tenant.pk:
        customer.subscriber = tenant
        customer.save(update_fields=["subscriber", "djstripe_updated"])
    if local is None:
        local = Subscription.objects.filter(tenant=tenant).first()
    if local is not None and local.stripe_customer_id != customer.id:
        local.stripe_customer_id = customer.id
        local.save(update_fields=["stripe_customer_id", "updated_at"])


def tenant_for_customer(customer_id: str | None) -> Tenant | None:
    """The tenant a Stripe customer pays for, from our records only."""
    if not customer_id:
        return None
    customer = Customer.objects.filter(id=customer_id).select_related("subscriber").first()
    if customer is not None and customer.subscriber is not None:
        return customer.subscriber
    local = (
        Subscription.objects.filter(stripe_customer_id=customer_id).select_related("tenant").first()
    )
    if local is not None:
        return local.tenant
    if customer is not None:
        # Customers created by this app carry metadata.tenant_id (see ensure_customer).
        tenant = tenant_from_metadata(customer.metadata or {})
        if tenant is not None:
            link_customer(customer, tenant)
            return tenant
    return None


def tenant_from_metadata(metadata: dict) -> Tenant | None:
    raw = (metadata or {}).get("tenant_id")
    try:
        tenant_id = uuid.UUID(str(raw))
    except (TypeError, ValueError):
        return None
    return Tenant.objects.filter(pk=tenant_id).first()
