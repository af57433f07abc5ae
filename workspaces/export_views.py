"""The workspace export, as a download: `GET /api/tenants/export` and the page's button.

Both answer the same document (workspaces.export), streamed, and leave an audit row.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request

from catalytic.openapi import errors
from tenants import audit
from tenants.models import Role, Tenant
from tenants.page_auth import role_required
from tenants.permissions import IsAdmin
from tenants.viewsets import TenantAPIView
from workspaces.export import FORMAT, export_chunks, export_filename


def export_response(
    *, tenant: Tenant, actor: Any, request: Any, method: str
) -> StreamingHttpResponse:
    audit.record("tenant.exported", tenant=tenant, actor=actor, request=request, method=method)
    response = StreamingHttpResponse(
        export_chunks(tenant), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{export_filename(tenant)}"'
    # SECURITY: the whole workspace's data; no shared cache may keep a copy.
    response["Cache-Control"] = "no-store"
    return response


# The document's shape, for the OpenAPI schema (the rows are written by workspaces.export).
class ExportTenantSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    slug = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()
    domain = serializers.CharField(allow_blank=True)
    billing_email = serializers.CharField()
    plan = serializers.CharField(allow_null=True)
    subscription_status = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class ExportMemberSerializer(serializers.Serializer):
    email = serializers.EmailField()
    first_name = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField(allow_blank=True)
    role = serializers.CharField()
    is_active = serializers.BooleanField()
    joined = serializers.DateTimeField()


class ExportLatticeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    dimensions = serializers.IntegerField()
    size = serializers.IntegerField()
    obstacle_kind = serializers.CharField(help_text="none, explicit or density")
    obstacles = serializers.JSONField(
        allow_null=True,
        help_text="null, the blocked points, or the rule {density, seed} that generates them.",
    )
    created_by = serializers.EmailField(allow_null=True)
    created_at = serializers.DateTimeField()


class ExportOperationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    lattice_id = serializers.UUIDField()
    kind = serializers.CharField()
    status = serializers.CharField()
    parameters = serializers.JSONField()
    result_summary = serializers.JSONField()
    error_code = serializers.CharField(allow_blank=True)
    error_message = serializers.CharField(allow_blank=True)
    duration_ms = serializers.FloatField()
    actor = serializers.EmailField(allow_null=True)
    api_key_id = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()


class ExportUsageSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM (UTC)")
    api_calls = serializers.IntegerField()


class ExportInvoiceSerializer(serializers.Serializer):
    id = serializers.CharField()
    number = serializers.CharField(allow_null=True)
    status = serializers.CharField(allow_null=True)
    currency = serializers.CharField(allow_null=True)
    amount = serializers.IntegerField(help_text="Total, in the currency's minor unit.")
    amount_paid = serializers.IntegerField()
    amount_due = serializers.IntegerField()
    created = serializers.DateTimeField(allow_null=True)
    period_start = serializers.DateTimeField(allow_null=True)
    period_end = serializers.DateTimeField(allow_null=True)
    due_date = serializers.DateTimeField(allow_null=True)
    hosted_invoice_url = serializers.URLField(allow_null=True)
    invoice_pdf = serializers.URLField(allow_null=True)


class ExportAuditEventSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    action = serializers.CharField()
    actor = serializers.EmailField(allow_null=True)
    target = serializers.CharField(allow_blank=True)
    ip_address = serializers.IPAddressField(allow_null=True)
    metadata = serializers.JSONField()
    created_at = serializers.DateTimeField()


class ExportDocumentSerializer(serializers.Serializer):
    format = serializers.CharField(help_text=f"{FORMAT}")
    exported_at = serializers.DateTimeField()
    tenant = ExportTenantSerializer()
    members = ExportMemberSerializer(many=True)
    lattices = ExportLatticeSerializer(many=True)
    operations = ExportOperationSerializer(many=True)
    usage = ExportUsageSerializer(many=True)
    invoices = ExportInvoiceSerializer(many=True)
    audit_log = ExportAuditEventSerializer(many=True)


class ExportView(TenantAPIView):
    # Suspended workspaces may export too: portability does not depend on paying.
    permission_classes = [IsAdmin]

    @extend_schema(
        responses={
            200: OpenApiResponse(
                ExportDocumentSerializer,
                description="A download (Content-Disposition: attachment) of every row of "
                "the workspace: members, lattices, operations, usage, invoices, audit log.",
            ),
            **errors(401, 403),
        },
        summary="Export the workspace's data as one JSON document (owner/admin)",
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        return export_response(
            tenant=self.tenant, actor=request.user, request=request, method="api"
        )


@role_required(Role.ADMIN)
def export_page(request: HttpRequest) -> StreamingHttpResponse:
    return export_response(
        tenant=request.tenant, actor=request.user, request=request, method="page"
    )
