"""Base classes that make tenant scoping impossible to forget."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import viewsets
from rest_framework.views import APIView

from tenants.context import AuthContext
from tenants.permissions import ReadOrRole, auth_context


class TenantAPIView(APIView):
    """An APIView whose request is authenticated through a tenant."""

    permission_classes = [ReadOrRole]

    @property
    def context(self) -> AuthContext:
        context = auth_context(self.request)
        assert context is not None  # guaranteed by the permission classes
        return context

    @property
    def tenant(self) -> Any:
        return self.context.tenant


class TenantScopedViewSet(viewsets.GenericViewSet):
    """Owns get_queryset(): every object comes from `model.objects.for_tenant(...)`.

    An object of another tenant is simply not in the queryset, so it is a 404
    exactly like a missing one (no existence leak). Writes need `write_role`.
    """

    permission_classes = [ReadOrRole]
    lookup_field = "id"
    write_role = "member"

    def base_queryset(self) -> QuerySet:
        return self.queryset.model.objects.all()

    def get_queryset(self) -> QuerySet:
        context = auth_context(self.request)
        if context is None:
            return self.queryset.model.objects.none()
        return self.base_queryset().for_tenant(context.tenant_id)

    @property
    def context(self) -> AuthContext:
        context = auth_context(self.request)
        assert context is not None
        return context

    @property
    def tenant(self) -> Any:
        return self.context.tenant
