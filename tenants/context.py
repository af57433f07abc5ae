"""What an authenticated API request carries: `request.auth` is an AuthContext.

Authentication fills it from the one query that confirmed the caller (accounts.
authentication): who, which tenant, which role, how, and the facts about the tenant that
every request needs (its status, its subscription). Nothing here is a model instance;
`tenant` loads the Tenant row only for a view that asks for it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cached_property

from tenants.models import Tenant

READ = "read"
WRITE = "write"


@dataclass(frozen=True)
class SubscriptionFacts:
    """The tenant's subscription row as read with the caller; billing decides the plan."""

    status: str
    plan_code: str
    trial_ended: bool  # its trial_end has passed
    stripe_subscription_id: str


@dataclass
class AuthContext:
    tenant_id: uuid.UUID
    role: str
    method: str  # "jwt" | "api_key"
    tenant_status: str
    # None: the tenant has no subscription row (the Free plan).
    subscription: SubscriptionFacts | None = None
    # The person (None for an API key, which acts for the tenant).
    user_id: uuid.UUID | None = None
    scope: str = WRITE  # API keys may be read-only
    # The sign-in a JWT belongs to (accounts.models.TokenFamily): logout ends it.
    family: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    # The tenant requires two-factor sign-in and this person has not enrolled: only
    # the enrolment, /api/users/me and logout are open (tenants.permissions).
    two_factor_missing: bool = False

    @property
    def tenant_active(self) -> bool:
        return self.tenant_status == Tenant.Status.ACTIVE

    @cached_property
    def tenant(self) -> Tenant:
        """The Tenant row, for views that show or change it (one query, on first use)."""
        return Tenant.objects.select_related("subscription__plan").get(pk=self.tenant_id)

    def remember_tenant(self, tenant: Tenant) -> None:
        """The caller's Tenant row that the request read anyway (joined to another row,
        with its subscription and plan): `tenant` then asks no query of its own."""
        if tenant.pk != self.tenant_id:
            raise ValueError("not this caller's tenant")
        self.__dict__["tenant"] = tenant  # where cached_property keeps its value
