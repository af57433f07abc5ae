from __future__ import annotations

from typing import Any

from django.db import models


class TenantQuerySet(models.QuerySet):
    """The one way to read tenant data: `Model.objects.for_tenant(tenant)`."""

    def for_tenant(self, tenant: Any) -> TenantQuerySet:
        # SECURITY: accept a Tenant or its id; never an unscoped fallback.
        if tenant is None:
            return self.none()
        tenant_id = getattr(tenant, "pk", tenant)
        return self.filter(tenant_id=tenant_id)
