"""What an authenticated API request carries: `request.auth` is an AuthContext."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cached_property

from tenants.models import Tenant

READ = "read"
WRITE = "write"


@dataclass
class AuthContext:
    tenant_id: uuid.UUID
    role: str
    method: str  # "jwt" | "api_key" | "session"
    scope: str = WRITE  # API keys may be read-only
    # The sign-in a JWT belongs to (accounts.models.TokenFamily): logout ends it.
    family: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    preloaded_tenant: Tenant | None = None

    @cached_property
    def tenant(self) -> Tenant:
        if self.preloaded_tenant is not None:
            return self.preloaded_tenant
        return Tenant.objects.select_related("subscription__plan").get(pk=self.tenant_id)
