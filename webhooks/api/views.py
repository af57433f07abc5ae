"""`/api/tenants/webhooks[/{id}]`: the tenant's webhook endpoints (owner/admin only)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from catalytic.openapi import errors
from tenants.permissions import IsAdmin
from tenants.viewsets import TenantScopedViewSet
from webhooks import services
from webhooks.api import serializers as s
from webhooks.models import WebhookDelivery, WebhookEndpoint

NO_STORE = {"Cache-Control": "no-store"}


def _validated(serializer_class: type, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema_view(
    list=extend_schema(summary="The tenant's webhook endpoints (owner/admin)"),
    retrieve=extend_schema(summary="A webhook endpoint (its secret is never shown again)"),
    destroy=extend_schema(
        summary="Remove a webhook endpoint and its delivery history",
        responses={204: None},
    ),
)
class WebhookEndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    TenantScopedViewSet,
):
    queryset = WebhookEndpoint.objects.all()
    serializer_class = s.WebhookEndpointSerializer
    # Endpoints receive the workspace's events: only those who manage it may point them.
    permission_classes = [IsAdmin]

    @extend_schema(
        summary="Register a webhook endpoint; the answer holds its signing secret, shown once",
        request=s.WebhookEndpointCreateSerializer,
        responses={201: s.WebhookEndpointSecretSerializer, **errors(400)},
    )
    def create(self, request: Request) -> Response:
        data = _validated(s.WebhookEndpointCreateSerializer, request)
        endpoint = services.create_endpoint(
            tenant=self.tenant, actor=request.user, request=request, **data
        )
        body = s.WebhookEndpointSecretSerializer(endpoint).data
        return Response(body, status=status.HTTP_201_CREATED, headers=NO_STORE)

    @extend_schema(
        summary="Change a webhook endpoint's URL, events, description, or enable/disable it",
        request=s.WebhookEndpointUpdateSerializer,
        responses={200: s.WebhookEndpointSerializer, **errors(400)},
    )
    def partial_update(self, request: Request, id: Any = None) -> Response:
        endpoint = self.get_object()
        changes = _validated(s.WebhookEndpointUpdateSerializer, request)
        endpoint = services.update_endpoint(
            endpoint=endpoint, actor=request.user, changes=changes, request=request
        )
        return Response(s.WebhookEndpointSerializer(endpoint).data)

    def perform_destroy(self, instance: WebhookEndpoint) -> None:
        services.delete_endpoint(endpoint=instance, actor=self.request.user, request=self.request)

    @extend_schema(
        summary="Replace the signing secret at once; the new one is shown this once",
        request=None,
        responses={200: s.WebhookEndpointSecretSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret", url_name="rotate-secret")
    def rotate_secret(self, request: Request, id: Any = None) -> Response:
        endpoint = services.rotate_secret(
            endpoint=self.get_object(), actor=request.user, request=request
        )
        return Response(s.WebhookEndpointSecretSerializer(endpoint).data, headers=NO_STORE)

    @extend_schema(
        summary="Send a `ping` event to this endpoint (delivered by the workers)",
        request=None,
        responses={202: s.PingSerializer, **errors(400)},
    )
    @action(detail=True, methods=["post"], url_path="test", url_name="test")
    def test(self, request: Request, id: Any = None) -> Response:
        event = services.send_ping(endpoint=self.get_object(), actor=request.user)
        return Response({"event_id": event.pk, "type": event.type}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="The endpoint's deliveries, newest first: event, status code, duration, error",
        responses={200: s.WebhookDeliverySerializer(many=True)},
    )
    @action(detail=True, methods=["get"], url_path="deliveries", url_name="deliveries")
    def deliveries(self, request: Request, id: Any = None) -> Response:
        endpoint = self.get_object()
        rows: QuerySet[WebhookDelivery] = (
            WebhookDelivery.objects.for_tenant(self.tenant)
            .filter(endpoint=endpoint)
            .select_related("event")
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.WebhookDeliverySerializer(page, many=True).data)
