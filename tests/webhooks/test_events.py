"""Each event is stored in the transaction of its change, for the endpoints that want it."""

from __future__ import annotations

import pytest
from django.db import transaction

from tenants import events
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(cast):
    return WebhookEndpoint.objects.create(
        tenant=cast.tenant,
        url="https://hooks.example.net/catalytic",
        events=list(events.EVENT_TYPES),
        secret="whsec_test",
    )


def stored(tenant) -> list[tuple[str, dict]]:
    return [
        (e.type, e.data) for e in WebhookEvent.objects.for_tenant(tenant).order_by("created_at")
    ]


def test_api_key_created_and_revoked(cast, client_for, endpoint):
    admin = client_for(cast.admin)
    key = admin.post("/api/tenants/api-keys", {"name": "ci", "scope": "read"}, format="json")
    admin.delete(f"/api/tenants/api-keys/{key.json()['id']}")

    types = [t for t, _ in stored(cast.tenant)]
    assert types == ["api_key.created", "api_key.revoked"]
    data = stored(cast.tenant)[0][1]
    assert data == {
        "id": key.json()["id"],
        "name": "ci",
        "prefix": key.json()["prefix"],
        "scope": "read",
    }
    assert key.json()["key"] not in str(stored(cast.tenant))


def test_member_removed(cast, client_for, endpoint):
    response = client_for(cast.owner).delete(f"/api/tenants/members/{cast.viewer.pk}")

    assert response.status_code == 204
    assert stored(cast.tenant) == [
        (
            "member.removed",
            {"id": str(cast.viewer.pk), "email": "viewer@acme.example", "role": "viewer"},
        )
    ]


def test_member_added_by_accepting_an_invitation(
    cast, client_for, endpoint, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(cast.admin).post(
            "/api/tenants/members", {"email": "new@acme.example", "role": "member"}, format="json"
        )
    token = mailoutbox[-1].body.split("/invitations/accept/")[1].split("/")[0]
    response = client_for(cast.admin).post(
        "/api/tenants/invitations/accept",
        {"token": token, "password": "a-long-new-password-77", "first_name": "N", "last_name": "M"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    [(kind, data)] = stored(cast.tenant)
    assert kind == "member.added" and data["email"] == "new@acme.example"


def test_workspace_closing(cast, client_for, endpoint):
    response = client_for(cast.owner).post(
        "/api/tenants/close", {"confirm": cast.tenant.slug}, format="json"
    )

    assert response.status_code == 200, response.json()
    [(kind, data)] = stored(cast.tenant)
    assert kind == "workspace.closing" and data["purge_after"]


def test_only_active_endpoints_that_subscribed_get_a_delivery(cast, client_for, endpoint):
    WebhookEndpoint.objects.create(
        tenant=cast.tenant, url="https://a.example.net/", events=["member.added"], secret="s"
    )
    WebhookEndpoint.objects.create(
        tenant=cast.tenant,
        url="https://b.example.net/",
        events=["api_key.created"],
        secret="s",
        is_active=False,
    )
    WebhookEndpoint.objects.create(
        tenant=cast.other_tenant,
        url="https://c.example.net/",
        events=["api_key.created"],
        secret="s",
    )

    client_for(cast.admin).post(
        "/api/tenants/api-keys", {"name": "ci", "scope": "read"}, format="json"
    )

    assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [endpoint.pk]


def test_without_endpoints_nothing_is_stored(cast, client_for):
    client_for(cast.admin).post(
        "/api/tenants/api-keys", {"name": "ci", "scope": "read"}, format="json"
    )

    assert not WebhookEvent.objects.exists()


def test_a_change_rolled_back_leaves_no_event(cast, endpoint):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.emit(cast.tenant, events.MEMBER_ADDED, {"id": "x"})
        raise RuntimeError("the change failed")

    assert not WebhookEvent.objects.exists()
