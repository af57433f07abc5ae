"""A workspace's end: closed by its owner, restorable by staff for a grace period, then purged.

This module holds the tenant's own part: its status, `closed_at`, its slug and the
audit rows. Closing as a whole (Stripe, API keys, sessions, emails) is
workspaces.closing; purging the data of every app is workspaces.purge; both call these.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from catalytic.errors import ServiceError
from tenants import audit
from tenants.models import Tenant
from tenants.services import with_free_slug


def grace_period() -> timedelta:
    return timedelta(days=settings.TENANT_CLOSE_GRACE_DAYS)


def purge_due_at(tenant: Tenant) -> datetime | None:
    """When a closed workspace's data goes (None while it is open)."""
    if tenant.closed_at is None:
        return None
    return tenant.closed_at + grace_period()


def closed_tenants() -> QuerySet[Tenant]:
    return Tenant.objects.filter(status=Tenant.Status.DELETED, closed_at__isnull=False)


def due_for_purge(now: datetime | None = None) -> QuerySet[Tenant]:
    """Closed workspaces past their grace period whose data is still there."""
    cutoff = (now or timezone.now()) - grace_period()
    return closed_tenants().filter(closed_at__lte=cutoff, purged_at__isnull=True)


def mark_closed(*, tenant: Tenant, actor: Any, request: Any = None, **metadata: Any) -> Tenant:
    """Status `deleted` with the time; the caller holds the tenant row lock and has
    stopped billing, keys and sessions (workspaces.closing.close_tenant)."""
    previous = tenant.status
    tenant.status = Tenant.Status.DELETED
    tenant.closed_at = timezone.now()
    tenant.save(update_fields=["status", "closed_at", "updated_at"])
    audit.record(
        "tenant.closed",
        tenant=tenant,
        actor=actor,
        request=request,
        target=f"tenant:{tenant.slug}",
        previous_status=previous,
        purge_after=purge_due_at(tenant),
        **metadata,
    )
    return tenant


def restore_tenant(*, tenant: Tenant, actor: Any, request: Any = None) -> Tenant:
    """Staff reopen a closed workspace within its grace period.

    It comes back active, on whatever plan billing now says (Free once its Stripe
    subscription was cancelled). API keys stay revoked and members log in again. If a
    new workspace took its slug meanwhile, it gets the next free one (acme-2).
    """
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if tenant.status != Tenant.Status.DELETED or tenant.closed_at is None:
            raise ServiceError("This workspace is not closed.", code="not_closed", status=409)
        if tenant.purged_at is not None:
            raise ServiceError(
                "This workspace's data was purged; it cannot be restored.",
                code="purged",
                status=409,
            )
        if timezone.now() > purge_due_at(tenant):
            raise ServiceError(
                "The grace period of this workspace is over; it cannot be restored.",
                code="grace_period_over",
                status=409,
            )
        closed_at, old_slug = tenant.closed_at, tenant.slug

        def reopen(slug: str) -> Tenant:
            tenant.slug = slug
            tenant.status = Tenant.Status.ACTIVE
            tenant.closed_at = None
            tenant.suspended_reason = ""
            tenant.save(
                update_fields=["slug", "status", "closed_at", "suspended_reason", "updated_at"]
            )
            return tenant

        with_free_slug(old_slug, reopen)
        audit.record(
            "tenant.restored",
            tenant=tenant,
            actor=actor,
            request=request,
            target=f"tenant:{tenant.slug}",
            closed_at=closed_at,
            previous_slug=old_slug,
        )
    return tenant
