"""Sign-up: a new tenant, its owner, its subscription and the welcome email, all or nothing.

It lives in billing, the highest app it needs: it writes accounts and tenants rows,
starts a subscription and sends a notification.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.email_verification import send_verification
from accounts.models import User
from billing.models import Plan, Subscription
from billing.plans import DEFAULT_PLAN_CODE, get_plan_spec
from catalytic.errors import ServiceError
from catalytic.ratelimits import normalise_email
from notifications import emails
from tenants import audit
from tenants.models import Membership, Role, Tenant
from tenants.services import create_tenant, email_taken


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


def register_tenant(
    *,
    company_name: str,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    domain: str = "",
    plan_code: str = DEFAULT_PLAN_CODE,
    request: Any = None,
) -> Membership:
    """Tenant + owner + subscription + welcome and verification emails, all or nothing.

    The owner's address is unproven until they follow the verification link
    (accounts.email_verification): the Free plan works meanwhile.
    """
    email = normalise_email(email)
    if User.objects.filter(email=email).exists():
        raise email_taken()
    with transaction.atomic():
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email=email, password=password, first_name=first_name, last_name=last_name
                )
        except IntegrityError:
            raise email_taken()
        membership = _open_workspace(
            user=user,
            company_name=company_name,
            domain=domain,
            plan_code=plan_code,
            request=request,
        )
        send_verification(user)
    return membership


def start_workspace(*, user: User, company_name: str, request: Any = None) -> Membership:
    """A new workspace on Free, owned by a person whose workspaces are all gone (closed or
    purged), so the account they kept is not stranded; 409 `has_workspace` otherwise."""
    with transaction.atomic():
        # The person's row serialises their requests: a double submit opens one workspace.
        user = User.objects.select_for_update().get(pk=user.pk)
        if Membership.objects.filter(user=user, tenant__status__in=Tenant.LIVE_STATUSES).exists():
            raise ServiceError(
                "You already belong to a workspace: log in to it, or ask its owner for access.",
                code="has_workspace",
                status=409,
            )
        return _open_workspace(
            user=user,
            company_name=company_name,
            domain="",
            plan_code=DEFAULT_PLAN_CODE,
            request=request,
        )


def _open_workspace(
    *, user: User, company_name: str, domain: str, plan_code: str, request: Any
) -> Membership:
    """Tenant, its owner, its subscription, the welcome email and the audit row."""
    tenant = create_tenant(name=company_name, billing_email=user.email, domain=domain)
    membership = Membership.objects.create(user=user, tenant=tenant, role=Role.OWNER)
    start_subscription(tenant=tenant, plan_code=plan_code)
    emails.send_welcome(user=user, tenant=tenant)
    audit.record(
        "tenant.registered",
        tenant=tenant,
        actor=user,
        request=request,
        target=f"tenant:{tenant.slug}",
        plan=plan_code,
    )
    return membership
