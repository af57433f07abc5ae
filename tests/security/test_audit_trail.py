"""The audit trail: each security-relevant event, caused through the product itself,
is recorded with actor, tenant, client IP and time, and shown to owners and admins
(API and page) and to staff (admin), never to other tenants or lower roles."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tenants import audit
from tenants.models import AuditEvent
from tests.conftest import PASSWORD
from tests.security.conftest import role_client

pytestmark = pytest.mark.django_db

IP = "198.51.100.23"


def api(client: APIClient, method: str, url: str, body: Any = None) -> Any:
    return getattr(client, method)(url, body, format="json", REMOTE_ADDR=IP)


def event(tenant: Any, action: str) -> AuditEvent:
    found = AuditEvent.objects.filter(tenant=tenant, action=action).order_by("-created_at")
    assert found.exists(), f"no {action} event"
    return found.first()


def assert_recorded(tenant: Any, action: str, actor: Any, since: Any) -> AuditEvent:
    row = event(tenant, action)
    assert row.actor_id == getattr(actor, "pk", actor)
    assert row.ip_address == IP
    assert row.created_at >= since
    return row


def test_sign_in_events_carry_who_where_and_when(cast):
    since = timezone.now()
    anon = APIClient()
    api(anon, "post", "/api/tenants/login", {"email": "owner@acme.example", "password": "bad"})
    good = api(
        anon, "post", "/api/tenants/login", {"email": "owner@acme.example", "password": PASSWORD}
    )

    assert good.status_code == 200
    failed = assert_recorded(cast.tenant, "login.failed", cast.owner.user, since)
    assert failed.metadata.get("reason") == "invalid_credentials"
    assert_recorded(cast.tenant, "login.succeeded", cast.owner.user, since)


def test_reuse_of_a_rotated_refresh_token_is_recorded(cast):
    since = timezone.now()
    anon = APIClient()
    tokens = api(
        anon, "post", "/api/tenants/login", {"email": "member@acme.example", "password": PASSWORD}
    ).json()
    first = tokens["refresh_token"]

    assert api(anon, "post", "/api/tenants/refresh", {"refresh_token": first}).status_code == 200
    assert api(anon, "post", "/api/tenants/refresh", {"refresh_token": first}).status_code == 401
    assert_recorded(cast.tenant, "token.reuse_detected", cast.member.user, since)


def test_team_and_key_changes_are_recorded(cast, tenant_a):
    since = timezone.now()
    owner = role_client(cast.owner)
    added = api(
        owner, "post", "/api/tenants/members", {"email": "owner@globex.example", "role": "viewer"}
    )
    assert added.status_code == 201, added.content
    assert added.json()["result"] == "added"
    member_id = added.json()["member"]["id"]
    changed = api(owner, "patch", f"/api/tenants/members/{member_id}", {"role": "member"})
    assert changed.status_code == 200
    assert api(owner, "delete", f"/api/tenants/members/{member_id}").status_code == 204
    key = api(owner, "post", "/api/tenants/api-keys", {"name": "ci", "scope": "read"}).json()
    assert api(owner, "delete", f"/api/tenants/api-keys/{key['id']}").status_code == 204

    for action in ("member.added", "member.updated", "member.removed"):
        row = assert_recorded(cast.tenant, action, cast.owner.user, since)
        assert row.target
    assert "role" in event(cast.tenant, "member.updated").metadata["changes"]
    assert assert_recorded(cast.tenant, "api_key.created", cast.owner.user, since).target
    assert assert_recorded(cast.tenant, "api_key.revoked", cast.owner.user, since).target


def test_a_plan_change_is_recorded(billing, customer, client_for):
    since = timezone.now()
    response = client_for(billing.admin).post(
        "/api/subscriptions/create",
        {"plan_code": "starter", "interval": "month"},
        format="json",
        REMOTE_ADDR=IP,
    )

    assert response.status_code == 201, response.content
    # billing names this action "plan_changed" (its own tests rely on the spelling).
    row = assert_recorded(billing.tenant, "plan_changed", billing.admin.user, since)
    assert row.metadata["plan"] == "starter"


def test_a_suspension_is_recorded_with_the_staff_member(cast, staff_user):
    since = timezone.now()
    staff = role_client(staff=staff_user)
    response = staff.post(
        "/admin/tenants/tenant/",
        {
            "action": "suspend",
            "_selected_action": [str(cast.tenant.pk)],
            "reason": "fraud",
            "apply": "Suspend",
        },
        REMOTE_ADDR=IP,
    )

    assert response.status_code == 302
    row = assert_recorded(cast.tenant, "tenant.suspended", staff_user, since)
    assert "fraud" in str(row.metadata)


def test_owners_and_admins_page_through_the_trail_and_others_cannot(cast, tenant_a):
    for number in range(60):
        audit.record(f"filler.{number}", tenant=cast.tenant, actor=None)
    audit.record("globex.secret", tenant=cast.other_tenant, actor=None)
    owner = role_client(cast.owner)
    first = owner.get("/api/tenants/audit-log").json()
    second = owner.get(first["next"]).json()

    assert first["count"] >= 60
    assert len(first["results"]) == 50
    assert second["results"]
    seen = {item["action"] for item in first["results"] + second["results"]}
    assert "globex.secret" not in seen
    assert {"ip_address", "actor", "created_at", "action", "target"} <= set(first["results"][0])
    assert role_client(cast.admin).get("/api/tenants/audit-log").status_code == 200
    assert role_client(cast.member).get("/api/tenants/audit-log").status_code == 403
    assert role_client(cast.viewer).get("/api/tenants/audit-log").status_code == 403
    page = owner.get("/audit-log/")
    assert page.status_code == 200
    assert b"globex.secret" not in page.content
    assert role_client(cast.member).get("/audit-log/").status_code == 403


def test_staff_read_every_tenants_trail_in_the_admin(cast, staff_user):
    audit.record("acme.thing", tenant=cast.tenant, actor=None)
    audit.record("globex.thing", tenant=cast.other_tenant, actor=None)
    page = role_client(staff=staff_user).get("/admin/tenants/auditevent/")

    assert page.status_code == 200
    assert b"acme.thing" in page.content and b"globex.thing" in page.content
