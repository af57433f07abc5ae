from __future__ import annotations

import pytest
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from tenants.models import AuditEvent, Tenant
from tenants.permissions import ReadOrRole, TenantActive
from tenants.services import reactivate_tenant, suspend_tenant
from tests.conftest import bearer_client

pytestmark = pytest.mark.django_db


class ProductView(APIView):
    """Stands in for a product endpoint (lattices) using the shared check."""

    permission_classes = [ReadOrRole, TenantActive]

    def get(self, request):
        return Response({"ok": True})


def call_product(membership):
    token = bearer_client(membership)._credentials["HTTP_AUTHORIZATION"]
    request = APIRequestFactory().get("/api/product", HTTP_AUTHORIZATION=token)
    return ProductView.as_view()(request)


def test_suspension_refuses_product_calls_with_402_and_the_reason(cast):
    assert call_product(cast.member).status_code == 200
    suspend_tenant(tenant=cast.tenant, actor=None, reason="Payment failed three times.")
    response = call_product(cast.member)
    assert response.status_code == 402
    error = response.data["error"]
    assert error["code"] == "tenant_suspended"
    assert "Payment failed three times." in error["message"]
    assert error["tenant_status"] == "suspended"
    # Other tenants are untouched.
    assert call_product(cast.outsider).status_code == 200


def test_a_suspended_tenant_keeps_its_account_endpoints(cast, client_for):
    suspend_tenant(tenant=cast.tenant, actor=cast.owner.user, reason="Unpaid")
    owner = client_for(cast.owner)
    current = owner.get("/api/tenants/current")
    assert current.status_code == 200
    assert current.json()["status"] == "suspended"
    assert current.json()["suspended_reason"] == "Unpaid"
    assert owner.get("/api/tenants/members").status_code == 200


def test_suspend_and_reactivate_are_audited(cast):
    suspend_tenant(tenant=cast.tenant, actor=cast.owner.user, reason="Abuse report")
    tenant = Tenant.objects.get(pk=cast.tenant.pk)
    assert (tenant.status, tenant.suspended_reason) == ("suspended", "Abuse report")
    reactivate_tenant(tenant=tenant, actor=cast.owner.user)
    tenant.refresh_from_db()
    assert (tenant.status, tenant.suspended_reason) == ("active", "")
    events = list(
        AuditEvent.objects.filter(tenant=cast.tenant)
        .order_by("created_at")
        .values_list("action", "metadata__previous_status")
    )
    assert events == [("tenant.suspended", "active"), ("tenant.reactivated", "suspended")]
    assert call_product(cast.member).status_code == 200
