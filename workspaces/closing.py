"""An owner closes a workspace: billing stops, every credential ends, members are told.

It lives in billing, the highest app it needs: it cancels the Stripe subscription,
ends accounts' sessions and keys, marks the tenant closed and sends a notification.
Everything happens under the tenant's row lock, in one transaction with the Stripe
call first: if Stripe refuses, nothing is closed. A request repeated after it
succeeded (or racing it) finds the workspace closed and changes nothing, and the
immediate cancel carries an idempotency key, so Stripe cancels at most once.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import ApiKey
from accounts.sessions import revoke_membership_sessions
from billing.services import cancel_subscription
from billing.state import current_stripe_subscription, subscription_for
from catalytic.errors import ServiceError
from notifications import emails
from tenants import events, lifecycle
from tenants.models import Membership, Tenant


def confirmation_error(tenant: Tenant) -> ServiceError:
    message = f"Type the workspace's slug, {tenant.slug}, to confirm closing it."
    return ServiceError(
        message, code="confirmation_required", status=400, details={"confirm": [message]}
    )


def stop_billing(*, tenant: Tenant, actor: Any, request: Any = None) -> bool:
    """Cancel the paid plan at once (no further charge); False when there was none."""
    local = subscription_for(tenant)
    if current_stripe_subscription(tenant) is None and not local.plan.is_paid:
        return False
    cancel_subscription(tenant=tenant, actor=actor, at_period_end=False, request=request)
    return True


def close_tenant(*, tenant: Tenant, actor: Any, confirm: Any, request: Any = None) -> Tenant:
    """Close `tenant` (owner only; the caller checks the role). `confirm` must be its slug."""
    if not isinstance(confirm, str) or confirm.strip() != tenant.slug:
        raise confirmation_error(tenant)
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if tenant.status == Tenant.Status.DELETED:
            return tenant
        cancelled = stop_billing(tenant=tenant, actor=actor, request=request)
        memberships = list(Membership.objects.for_tenant(tenant))
        for membership in memberships:
            revoke_membership_sessions(membership=membership)
        revoked_keys = (
            ApiKey.objects.for_tenant(tenant)
            .filter(revoked_at__isnull=True)
            .update(revoked_at=timezone.now())
        )
        lifecycle.mark_closed(
            tenant=tenant,
            actor=actor,
            request=request,
            subscription_cancelled=cancelled,
            api_keys_revoked=revoked_keys,
            members=len(memberships),
        )
        purge_after = lifecycle.purge_due_at(tenant)
        emails.send_workspace_closed(tenant=tenant, closed_by=actor, purge_after=purge_after)
        closing = {"purge_after": purge_after.isoformat() if purge_after else None}
        events.emit(tenant, events.WORKSPACE_CLOSING, closing)
    return tenant
