"""`POST /api/tenants/close`: the owner closes the workspace (the service is workspaces.closing)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.views import validated
from catalytic.openapi import errors
from tenants import lifecycle
from tenants.models import Role, Tenant
from tenants.permissions import require_role
from tenants.viewsets import TenantAPIView
from workspaces.closing import close_tenant


class CloseRequestSerializer(serializers.Serializer):
    confirm = serializers.CharField(
        max_length=63, help_text="The workspace's slug, typed to confirm."
    )


class ClosedTenantSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    slug = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField(help_text="`deleted` once closed.")
    closed_at = serializers.DateTimeField()
    purge_after = serializers.DateTimeField(
        help_text="When its data is deleted; staff can reopen it until then."
    )


def closed_body(tenant: Tenant) -> dict:
    return ClosedTenantSerializer(
        {
            "id": tenant.id,
            "slug": tenant.slug,
            "name": tenant.name,
            "status": tenant.status,
            "closed_at": tenant.closed_at,
            "purge_after": lifecycle.purge_due_at(tenant),
        }
    ).data


class CloseTenantView(TenantAPIView):
    # Suspended workspaces may close too (leaving is not a product call).
    permission_classes = [require_role(Role.OWNER)]

    @extend_schema(
        request=CloseRequestSerializer,
        responses={
            200: ClosedTenantSerializer,
            **errors(
                400,
                401,
                403,
                409,
                503,
                descriptions={
                    400: "`confirmation_required`: `confirm` is not the workspace's slug.",
                    403: "Only an owner may close the workspace.",
                    503: "Stripe is unavailable or not configured; nothing was closed.",
                },
            ),
        },
        summary="Close the workspace (owner): cancels the subscription at once, revokes "
        "every API key and session, emails the members; data is purged after the grace period",
        examples=[
            OpenApiExample("Close", request_only=True, value={"confirm": "acme-research"}),
            OpenApiExample(
                "Closed",
                response_only=True,
                status_codes=["200"],
                value={
                    "id": "a55d8bef-988f-496b-b20e-6dced9f421fd",
                    "slug": "acme-research",
                    "name": "Acme Research",
                    "status": "deleted",
                    "closed_at": "2026-12-01T10:00:00Z",
                    "purge_after": "2026-12-31T10:00:00Z",
                },
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = validated(CloseRequestSerializer, request)
        tenant = close_tenant(
            tenant=self.tenant, actor=request.user, confirm=data["confirm"], request=request
        )
        return Response(closed_body(tenant))
