"""Deleting a closed workspace's data once its grace period is over.

What goes: lattices and their operations, usage counters, invitations, memberships
(and the sessions opened through them), API keys and queued or sent email. What stays,
for accounting: the tenant row (name, slug, dates), its subscription row, its audit
rows and dj-stripe's invoices, with the personal data in them removed (audit actors,
addresses, user agents and metadata; the billing contact on Stripe's customer and
invoice copies). The people themselves keep their accounts: an account belongs to its
person, who may belong to other workspaces.

It lives in lattices, the top app, because it deletes every app's rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from djstripe.models import Customer, Invoice

from accounts.models import ApiKey
from billing.customers import customer_ids_of
from billing.models import UsageCounter
from lattices.models import Lattice, LatticeOperation
from notifications.models import OutboxMessage
from tenants import audit, lifecycle
from tenants.models import AuditEvent, Invitation, Membership, Tenant

# Keys of Stripe's customer and invoice objects that name or locate a person.
STRIPE_PERSONAL_KEYS = (
    "email",
    "name",
    "phone",
    "address",
    "shipping",
    "description",
    "customer_email",
    "customer_name",
    "customer_phone",
    "customer_address",
    "customer_shipping",
    "customer_tax_ids",
    "account_name",
)
ERASED = "[erased]"


def _scrub(data: dict | None) -> dict:
    data = dict(data or {})
    for key in STRIPE_PERSONAL_KEYS:
        if data.get(key):
            data[key] = None
    return data


def _erase_stripe_copies(tenant: Tenant) -> int:
    customer_ids = customer_ids_of(tenant)
    if not customer_ids:
        return 0
    for customer in Customer.objects.filter(id__in=customer_ids):
        customer.email = ""
        customer.stripe_data = _scrub(customer.stripe_data)
        customer.save(update_fields=["email", "stripe_data"])
    scrubbed = 0
    for invoice in Invoice.objects.filter(customer__id__in=customer_ids).iterator():
        invoice.stripe_data = _scrub(invoice.stripe_data)
        invoice.save(update_fields=["stripe_data"])
        scrubbed += 1
    return scrubbed


def purge_tenant(*, tenant: Tenant, actor: Any = None, request: Any = None) -> dict[str, int]:
    """Delete the data of a closed workspace now (the command checks the grace period).

    Idempotent: a purged workspace is left alone and reports nothing deleted.
    """
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if tenant.status != Tenant.Status.DELETED or tenant.purged_at is not None:
            return {}
        done = {
            "operations": LatticeOperation.objects.for_tenant(tenant).delete()[0],
            "lattices": Lattice.objects.for_tenant(tenant).delete()[0],
            "usage": UsageCounter.objects.for_tenant(tenant).delete()[0],
            "invitations": Invitation.objects.for_tenant(tenant).delete()[0],
            "memberships": Membership.objects.for_tenant(tenant)
            .delete()[1]
            .get(Membership._meta.label, 0),
            "api_keys": ApiKey.objects.for_tenant(tenant).delete()[0],
            "emails": OutboxMessage.objects.for_tenant(tenant).delete()[0],
        }
        done["audit_rows"] = AuditEvent.objects.for_tenant(tenant).update(
            actor=None, ip_address=None, metadata={}
        )
        AuditEvent.objects.for_tenant(tenant).filter(
            Q(target__contains="@") | Q(target__startswith="user:")
        ).update(target=ERASED)
        done["invoices"] = _erase_stripe_copies(tenant)
        tenant.billing_email = ""
        tenant.domain = ""
        tenant.suspended_reason = ""
        tenant.purged_at = timezone.now()
        tenant.save(
            update_fields=["billing_email", "domain", "suspended_reason", "purged_at", "updated_at"]
        )
        audit.record(
            "tenant.purged",
            tenant=tenant,
            actor=actor,
            request=request,
            target=f"tenant:{tenant.slug}",
            closed_at=tenant.closed_at,
            **done,
        )
    return done


def purge_due(*, dry_run: bool = False) -> Iterator[tuple[Tenant, dict[str, int]]]:
    """Each workspace past its grace period, with what was (or, dry, would be) deleted."""
    for tenant in lifecycle.due_for_purge().order_by("closed_at"):
        if dry_run:
            yield tenant, would_purge(tenant)
        else:
            yield tenant, purge_tenant(tenant=tenant)


def would_purge(tenant: Tenant) -> dict[str, int]:
    return {
        "operations": LatticeOperation.objects.for_tenant(tenant).count(),
        "lattices": Lattice.objects.for_tenant(tenant).count(),
        "usage": UsageCounter.objects.for_tenant(tenant).count(),
        "invitations": Invitation.objects.for_tenant(tenant).count(),
        "memberships": Membership.objects.for_tenant(tenant).count(),
        "api_keys": ApiKey.objects.for_tenant(tenant).count(),
        "emails": OutboxMessage.objects.for_tenant(tenant).count(),
        "audit_rows": AuditEvent.objects.for_tenant(tenant).count(),
    }
