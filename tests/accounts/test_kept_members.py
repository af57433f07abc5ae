"""A worker keeps the members it served (accounts.principals): every change reaches it at once.

Each test warms the worker first (two calls: the first finds no access stamps yet, the
second keeps the member), then changes something through the product's own paths.
"""

from __future__ import annotations

import pytest
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from accounts import services
from billing.models import Plan, Subscription
from tenants.services import suspend_tenant
from tests.accounts.conftest import PASSWORD, bearer

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

CURRENT = "/api/tenants/current"


def warm(client) -> None:
    for _ in range(2):
        assert client.get(CURRENT).status_code == 200


def member_url(membership) -> str:
    return f"/api/tenants/members/{membership.id}"


def test_a_role_change_by_an_admin_reaches_a_warm_worker(cast, login):
    member = bearer(login("member@acme.example").json()["access_token"])
    admin = bearer(login("admin@acme.example").json()["access_token"])
    warm(member)
    assert member.get("/api/tenants/api-keys").status_code == 403
    assert admin.patch(member_url(cast.member), {"role": "admin"}, format="json").status_code == 200
    assert member.get("/api/tenants/api-keys").status_code == 200


def test_a_removed_member_is_refused_by_a_warm_worker(cast, login):
    member = bearer(login("member@acme.example").json()["access_token"])
    admin = bearer(login("admin@acme.example").json()["access_token"])
    warm(member)
    assert admin.delete(member_url(cast.member)).status_code == 204
    assert member.get(CURRENT).status_code == 401


def test_a_logout_is_refused_by_a_warm_worker(cast, login):
    tokens = login("member@acme.example").json()
    client = bearer(tokens["access_token"])
    warm(client)
    assert client.post("/api/tenants/logout").status_code == 204
    assert client.get(CURRENT).status_code == 401


def test_a_password_change_ends_every_session_on_a_warm_worker(cast, login):
    client = bearer(login("member@acme.example").json()["access_token"])
    warm(client)
    services.change_password(
        user=cast.member.user,
        current_password=PASSWORD,
        new_password="a-brand-new-lattice-passphrase-7",
    )
    assert client.get(CURRENT).status_code == 401


def test_a_plan_change_reaches_a_warm_worker(cast, login, plans):
    client = bearer(login("owner@acme.example").json()["access_token"])
    warm(client)
    assert client.get(CURRENT).json()["plan"] in ("free", None)
    subscription, _ = Subscription.objects.get_or_create(
        tenant=cast.tenant, defaults={"plan": Plan.objects.get(code="free"), "status": "active"}
    )
    subscription.plan = Plan.objects.get(code="professional")
    subscription.status = "active"
    subscription.save()
    assert client.get(CURRENT).json()["plan"] == "professional"


def test_a_flushed_redis_forgets_nothing_a_worker_kept(cast, login):
    tokens = login("member@acme.example").json()
    client = bearer(tokens["access_token"])
    warm(client)
    client.post("/api/tenants/logout")
    get_redis_connection("default").flushdb()
    assert client.get(CURRENT).status_code == 401
    other = bearer(login("viewer@acme.example").json()["access_token"])
    warm(other)
    assert other.get("/api/tenants/api-keys").status_code == 403  # still a viewer


def key_client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    return client


def test_a_revoked_api_key_is_refused_by_a_warm_worker(cast, login):
    owner = bearer(login("owner@acme.example").json()["access_token"])
    created = owner.post(
        "/api/tenants/api-keys", {"name": "nightly", "scope": "read"}, format="json"
    ).json()
    program = key_client(created["key"])
    for _ in range(3):
        assert program.get(CURRENT).status_code == 200
    assert owner.delete(f"/api/tenants/api-keys/{created['id']}").status_code == 204
    response = program.get(CURRENT)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "api_key_revoked"


def test_a_suspended_tenants_key_is_refused_product_calls_on_a_warm_worker(cast, login):
    owner = bearer(login("owner@acme.example").json()["access_token"])
    created = owner.post(
        "/api/tenants/api-keys", {"name": "nightly", "scope": "write"}, format="json"
    ).json()
    program = key_client(created["key"])
    for _ in range(3):
        assert program.get("/api/lattices").status_code == 200
    suspend_tenant(tenant=cast.tenant, actor=None, reason="unpaid")
    assert program.get("/api/lattices").status_code == 402
