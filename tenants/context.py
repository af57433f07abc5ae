"""The caller: who, which tenant, which role, which key, how authenticated.

One type for every caller. An API request's `request.auth` is an AuthContext that
authentication fills from the one query that confirmed the caller (accounts.
authentication), with the facts about the tenant every request needs (its status, its
subscription); `tenant` loads the Tenant row only for a view that asks for it. A page's
`request.caller` is one too (method "session", tenants.page_auth), built from the
session's membership; a background job's is the one that submitted it (method "job").
Services take the caller instead of separate user, key and tenant arguments.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

from tenants.models import Membership, Tenant

READ = "read"
WRITE = "write"


@dataclass(frozen=True)
class SubscriptionFacts:
    """The tenant's subscription row as read with the caller; billing decides the plan."""

    status: str
    plan_code: str
    trial_ended: bool  # its trial_end has passed
    stripe_subscription_id: str


class Subscribed(Protocol):
    """What billing reads of a subscription: SubscriptionFacts, or billing's own row
    (billing.models.Subscription has the same four attributes)."""

    @property
    def status(self) -> str: ...
    @property
    def plan_code(self) -> str: ...
    @property
    def trial_ended(self) -> bool: ...
    @property
    def stripe_subscription_id(self) -> str: ...


@dataclass
class AuthContext:
    tenant_id: uuid.UUID
    role: str
    method: str  # "jwt" | "api_key" | "session" (pages) | "job" (a background job's run)
    tenant_status: str
    # None: the tenant has no subscription row (the Free plan).
    subscription: Subscribed | None = None
    # The person (None for an API key, which acts for the tenant).
    user_id: uuid.UUID | None = None
    scope: str = WRITE  # API keys may be read-only
    # The sign-in a JWT belongs to (accounts.models.TokenFamily): logout ends it.
    family: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    # The tenant requires two-factor sign-in and this person has not enrolled: only
    # the enrolment, /api/users/me and logout are open (tenants.permissions).
    two_factor_missing: bool = False

    @classmethod
    def of_tenant(
        cls,
        tenant: Tenant,
        *,
        role: str,
        method: str,
        user_id: uuid.UUID | None = None,
        api_key_id: uuid.UUID | None = None,
    ) -> AuthContext:
        """A caller of `tenant` built from its row (a page, a job, a command, a test).

        With the tenant read with `subscription__plan` (as tenants.page_auth reads it)
        this asks no query."""
        context = cls(
            tenant_id=tenant.pk,
            role=role,
            method=method,
            tenant_status=tenant.status,
            # A missing reverse one-to-one row raises an AttributeError subclass: Free.
            subscription=getattr(tenant, "subscription", None),
            user_id=user_id,
            api_key_id=api_key_id,
        )
        context.remember_tenant(tenant)
        return context

    @classmethod
    def of_membership(cls, membership: Membership, *, method: str = "session") -> AuthContext:
        """A person's caller through `membership` (a page's session)."""
        return cls.of_tenant(
            membership.tenant, role=membership.role, method=method, user_id=membership.user_id
        )

    @property
    def via_api_key(self) -> bool:
        return self.api_key_id is not None

    @cached_property
    def user(self) -> Any:
        """The person to record as the actor (None for an API key, which acts for the
        tenant): loaded only if something reads more than its id (accounts.LazyUser)."""
        if self.user_id is None or self.via_api_key:
            return None
        from accounts.authentication import LazyUser  # accounts imports this module

        return LazyUser(self.user_id)

    def remember_user(self, user: Any) -> None:
        """The request's own User object (a page's `request.user`), so `user` reuses it."""
        if user.pk != self.user_id:
            raise ValueError("not this caller's user")
        self.__dict__["user"] = user

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
