from __future__ import annotations

import hashlib
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from accounts.models import ApiKey
from tenants.models import AuditEvent
from tenants.permissions import ReadOrRole

pytestmark = pytest.mark.django_db

URL = "/api/tenants/api-keys"


def create_key(client, scope: str = "read", **extra):
    return client.post(URL, {"name": f"{scope} key", "scope": scope, **extra}, format="json")


def key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    return client


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_create_a_key_shown_once_and_stored_hashed(cast, client_for, role):
    response = create_key(client_for(cast.by_role(role)), "write", name="CI")
    assert response.status_code == 201
    body = response.json()
    key = body["key"]
    assert key.startswith(f"cat_{body['prefix']}_") and len(key) > 40
    assert body["name"] == "CI" and body["scope"] == "write"
    assert body["created_by"] == f"{role}@acme.example"
    assert response["Cache-Control"] == "no-store"
    row = ApiKey.objects.get(id=body["id"])
    assert row.tenant == cast.tenant
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(ApiKey.objects.filter(pk=row.pk).values().first())
    # Listed afterwards without the key or its hash.
    listing = client_for(cast.owner).get(URL).json()["results"]
    assert [item["id"] for item in listing] == [body["id"]]
    assert set(listing[0]) == {
        "id",
        "name",
        "prefix",
        "scope",
        "created_at",
        "created_by",
        "last_used_at",
        "expires_at",
    }
    assert AuditEvent.objects.filter(action="api_key.created", tenant=cast.tenant).exists()


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_cannot_see_or_make_keys(cast, client_for, role):
    client = client_for(cast.by_role(role))
    assert client.get(URL).status_code == 403
    response = create_key(client)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_role"


def test_an_outsider_neither_lists_nor_revokes_another_tenants_keys(cast, client_for):
    key_id = create_key(client_for(cast.owner)).json()["id"]
    outsider = client_for(cast.outsider)
    assert outsider.get(URL).json()["results"] == []
    response = outsider.delete(f"{URL}/{key_id}")
    assert response.status_code == 404
    assert ApiKey.objects.get(id=key_id).revoked_at is None


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_cannot_revoke_keys(cast, client_for, role):
    key_id = create_key(client_for(cast.owner)).json()["id"]
    assert client_for(cast.by_role(role)).delete(f"{URL}/{key_id}").status_code == 403


def test_a_key_authenticates_as_its_tenant(cast, client_for):
    key = create_key(client_for(cast.admin), "read").json()["key"]
    response = key_client(key).get("/api/tenants/current")
    assert response.status_code == 200
    assert response.json()["id"] == str(cast.tenant.id)


def test_a_read_key_cannot_write(cast, client_for):
    key = create_key(client_for(cast.owner), "read").json()["key"]
    client = key_client(key)
    for response in (
        client.patch("/api/tenants/current", {"name": "Hacked"}, format="json"),
        client.post("/api/tenants/logout"),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "read_only_key"


def test_a_write_key_may_write_with_the_member_role_but_never_manage(cast, client_for):
    key = create_key(client_for(cast.owner), "write").json()["key"]
    client = key_client(key)

    class ProductWrite(APIView):
        permission_classes = [ReadOrRole]  # member may write, like the product endpoints

        def post(self, request):
            return Response({"role": request.auth.role, "method": request.auth.method})

    request = APIRequestFactory().post("/x", {}, format="json", HTTP_X_API_KEY=key)
    response = ProductWrite.as_view()(request)
    assert response.status_code == 200
    assert response.data == {"role": "member", "method": "api_key"}
    # Team and key management need admin: a key cannot mint more keys.
    assert create_key(client).status_code == 403


def test_a_revoked_key_is_refused_on_its_next_use(cast, client_for):
    created = create_key(client_for(cast.owner)).json()
    client = key_client(created["key"])
    assert client.get("/api/tenants/current").status_code == 200
    assert client_for(cast.admin).delete(f"{URL}/{created['id']}").status_code == 204
    response = client.get("/api/tenants/current")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "api_key_revoked"
    assert client_for(cast.owner).get(URL).json()["results"] == []
    assert client_for(cast.owner).delete(f"{URL}/{created['id']}").status_code == 404
    assert AuditEvent.objects.filter(action="api_key.revoked").count() == 1


def test_an_expired_key_is_refused(cast, client_for):
    soon = timezone.now() + timedelta(minutes=5)
    created = create_key(client_for(cast.owner), expires_at=soon.isoformat()).json()
    ApiKey.objects.filter(id=created["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = key_client(created["key"]).get("/api/tenants/current")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "api_key_expired"


def test_an_expiry_in_the_past_is_rejected(cast, client_for):
    past = (timezone.now() - timedelta(days=1)).isoformat()
    response = create_key(client_for(cast.owner), expires_at=past)
    assert response.status_code == 400
    assert "expires_at" in response.json()["error"]["details"]


def test_a_bad_scope_or_missing_name_is_named(cast, client_for):
    response = client_for(cast.owner).post(URL, {"scope": "admin"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"name", "scope"}


@pytest.mark.parametrize(
    "key",
    ["garbage", "cat_", "cat_abcdefgh_short", "cat_zzzzzzzz_" + "x" * 43],
)
def test_an_unknown_or_malformed_key_is_refused(cast, key):
    response = key_client(key).get("/api/tenants/current")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_a_right_prefix_with_a_wrong_secret_is_refused(cast, client_for):
    key = create_key(client_for(cast.owner)).json()["key"]
    forged = key[:-4] + ("aaaa" if not key.endswith("aaaa") else "bbbb")
    response = key_client(forged).get("/api/tenants/current")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_last_used_is_written_at_most_once_per_interval(cast, client_for, settings):
    settings.API_KEY_TOUCH_INTERVAL = timedelta(seconds=1)
    created = create_key(client_for(cast.owner)).json()
    client = key_client(created["key"])
    client.get("/api/tenants/current")
    first = ApiKey.objects.get(id=created["id"]).last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/tenants/current")
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert ApiKey.objects.get(id=created["id"]).last_used_at == first
    time.sleep(1.1)
    client.get("/api/tenants/current")
    assert ApiKey.objects.get(id=created["id"]).last_used_at > first


def test_a_key_of_a_suspended_tenant_authenticates_but_product_calls_are_refused(cast, client_for):
    from tenants.permissions import TenantActive

    key = create_key(client_for(cast.owner), "write").json()["key"]
    type(cast.tenant).objects.filter(pk=cast.tenant.pk).update(
        status="suspended", suspended_reason="Invoice unpaid."
    )

    class Product(APIView):
        permission_classes = [ReadOrRole, TenantActive]

        def get(self, request):
            return Response({})

    response = Product.as_view()(APIRequestFactory().get("/x", HTTP_X_API_KEY=key))
    assert response.status_code == 402
    assert response.data["error"]["code"] == "tenant_suspended"
    assert "Invoice unpaid." in response.data["error"]["message"]
    assert key_client(key).get("/api/tenants/current").status_code == 200
