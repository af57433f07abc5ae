"""API keys of the current tenant: list, create (full key shown once), revoke."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import api_keys
from accounts.api.serializers import ApiKeyCreateSerializer, ApiKeySerializer, NewApiKeySerializer
from accounts.api.views import errors
from accounts.models import ApiKey
from tenants import idempotency
from tenants.permissions import IsAdmin
from tenants.viewsets import TenantScopedViewSet


@extend_schema_view(
    list=extend_schema(summary="List the tenant's active API keys (owner/admin)"),
    destroy=extend_schema(
        summary="Revoke an API key; it is refused from the next request on",
        responses={204: None, **errors(401, 403)},
    ),
)
class ApiKeyViewSet(
    idempotency.IdempotentMixin,
    mixins.ListModelMixin,
    mixins.DestroyModelMixin,
    TenantScopedViewSet,
):
    queryset = ApiKey.objects.all()
    serializer_class = ApiKeySerializer
    permission_classes = [IsAdmin]
    idempotent_actions = ("create",)

    def base_queryset(self) -> QuerySet:
        return ApiKey.objects.filter(revoked_at__isnull=True).select_related("created_by")

    @extend_schema(
        request=ApiKeyCreateSerializer,
        parameters=[idempotency.PARAMETER],
        responses={
            201: NewApiKeySerializer,
            **idempotency.schema_errors(),
            **errors(400, 401, 403),
        },
        summary="Create an API key; the response holds the full key, shown this once",
    )
    def create(self, request: Request) -> Response:
        serializer = ApiKeyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        new = api_keys.create_api_key(
            tenant=self.tenant,
            actor=request.user,
            name=data["name"],
            scope=data["scope"],
            expires_at=data.get("expires_at"),
            request=request,
        )
        body = {**ApiKeySerializer(new.api_key).data, "key": new.key}
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

    def perform_destroy(self, instance: ApiKey) -> None:
        api_keys.revoke_api_key(
            tenant=self.tenant, actor=self.request.user, api_key=instance, request=self.request
        )
