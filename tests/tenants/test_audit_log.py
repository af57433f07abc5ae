from __future__ import annotations

import uuid

import pytest
from django.test import RequestFactory

from tenants import audit
from tenants.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/api/tenants/audit-log"


def test_record_keeps_actor_tenant_ip_and_json_safe_metadata(cast, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = RequestFactory().post(
        "/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.4", HTTP_USER_AGENT="curl/8"
    )
    key = uuid.uuid4()
    event = audit.record(
        "plan.changed", tenant=cast.tenant, actor=cast.owner.user, request=request, key=key
    )
    event.refresh_from_db()
    assert (event.tenant, event.actor, event.ip_address) == (
        cast.tenant,
        cast.owner.user,
        "198.51.100.4",
    )
    assert event.metadata == {"key": str(key), "user_agent": "curl/8"}
    anonymous = audit.record("login.failed", tenant=None, actor=None)
    assert (anonymous.tenant, anonymous.actor, anonymous.ip_address) == (None, None, None)


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_read_their_trail_newest_first(cast, client_for, role):
    audit.record("first.thing", tenant=cast.tenant, actor=cast.owner.user)
    audit.record("second.thing", tenant=cast.tenant, actor=cast.admin.user, target="x")
    audit.record("elsewhere", tenant=cast.other_tenant, actor=cast.outsider.user)
    response = client_for(cast.by_role(role)).get(URL)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [event["action"] for event in results] == ["second.thing", "first.thing"]
    assert results[0]["actor"] == {"id": str(cast.admin.user_id), "email": "admin@acme.example"}
    assert results[0]["target"] == "x"


def test_the_trail_is_paginated_and_filterable(cast, client_for):
    for number in range(5):
        audit.record("member.added", tenant=cast.tenant, actor=None, target=str(number))
    audit.record("logout", tenant=cast.tenant, actor=None)
    client = client_for(cast.owner)
    page = client.get(URL, {"page_size": 2}).json()
    assert page["count"] == 6 and len(page["results"]) == 2 and page["next"]
    only = client.get(URL, {"action": "member.added"}).json()
    assert only["count"] == 5


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_cannot_read_the_trail(cast, client_for, role):
    assert client_for(cast.by_role(role)).get(URL).status_code == 403


def test_an_outsider_never_sees_another_tenants_events(cast, client_for):
    audit.record("secret.thing", tenant=cast.tenant, actor=cast.owner.user)
    results = client_for(cast.outsider).get(URL).json()["results"]
    assert "secret.thing" not in {event["action"] for event in results}


def test_the_api_actions_land_in_the_trail(cast, client_for, login):
    login("admin@acme.example")
    client_for(cast.admin).post(
        "/api/tenants/api-keys", {"name": "ci", "scope": "read"}, format="json"
    )
    actions = set(AuditEvent.objects.filter(tenant=cast.tenant).values_list("action", flat=True))
    assert {"login.succeeded", "api_key.created"} <= actions
