"""`account_state` for the page banners: suspended, past due, or on trial."""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest
from django.utils import timezone

from billing.stripe_client import billing_configured
from tenants.models import Tenant


class AccountState:
    """What the banners say about the current tenant: suspended, past due, or on trial."""

    PAST_DUE_STATUSES = ("past_due", "unpaid")

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        try:
            self.subscription = tenant.subscription
        except ObjectDoesNotExist:  # a tenant without a subscription row is on Free
            self.subscription = None

    @property
    def suspended(self) -> bool:
        return self.tenant.is_suspended

    @property
    def suspended_reason(self) -> str:
        return self.tenant.suspended_reason

    @property
    def plan_name(self) -> str:
        return self.subscription.plan.name if self.subscription is not None else "Free"

    @property
    def past_due(self) -> bool:
        return self.subscription is not None and self.subscription.status in self.PAST_DUE_STATUSES

    @property
    def trialing(self) -> bool:
        return (
            self.subscription is not None
            and self.subscription.status == "trialing"
            and self.subscription.trial_end is not None
        )

    @property
    def trial_days_left(self) -> int:
        if not self.trialing:
            return 0
        seconds = (self.subscription.trial_end - timezone.now()).total_seconds()
        # A trial ending in 3.2 days has "4 days left" until the last day is used up.
        return max(0, math.ceil(seconds / 86400))

    @property
    def billing_configured(self) -> bool:
        return billing_configured()


def account_state(request: HttpRequest) -> dict[str, Any]:
    """The session tenant's AccountState on tenant pages (tenants.page_auth sets request.tenant)."""
    tenant = getattr(request, "tenant", None)
    return {"account_state": AccountState(tenant)} if tenant is not None else {}
