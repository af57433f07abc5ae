"""/api/tenants/webhooks: register, read, change, rotate, ping, deliveries, remove."""

from __future__ import annotations

import pytest

from tenants.models import AuditEvent
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

URL = "/api/tenants/webhooks"


def register(client, url="https://hooks.example.net/catalytic", events=("member.added",)):
    return client.post(URL, {"url": url, "events": list(events)}, format="json")


@pytest.fixture
def endpoint(cast, local_targets, client_for, receiver):
    response = register(client_for(cast.admin), url=receiver.url)
    assert response.status_code == 201, response.json()
    return WebhookEndpoint.objects.get(pk=response.json()["id"])


def test_an_admin_registers_an_endpoint_and_sees_its_secret_once(
    cast, client_for, local_targets, receiver
):
    admin = client_for(cast.admin)
    response = register(admin, url=receiver.url, events=["usage.threshold", "member.added"])

    assert response.status_code == 201
    body = response.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["events"] == ["usage.threshold", "member.added"]
    assert response["Cache-Control"] == "no-store"
    endpoint = WebhookEndpoint.objects.for_tenant(cast.tenant).get(pk=body["id"])
    assert endpoint.secret == body["secret"]
    assert "secret" not in admin.get(f"{URL}/{endpoint.pk}").json()
    assert [e["id"] for e in admin.get(URL).json()["results"]] == [body["id"]]
    assert AuditEvent.objects.filter(action="webhook.created", tenant=cast.tenant).exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://100.64.0.1/hook",
    ],
)
def test_a_private_address_is_refused(cast, client_for, url):
    response = register(client_for(cast.owner), url=url)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsafe_webhook_url"
    assert not WebhookEndpoint.objects.exists()


def test_plain_http_is_refused_when_debug_is_off(cast, client_for):
    response = register(client_for(cast.owner), url="http://93.184.215.14/hook")

    assert response.status_code == 400
    assert "https://" in response.json()["error"]["message"]


def test_unknown_or_no_events_are_a_validation_error(cast, client_for):
    owner = client_for(cast.owner)
    for events in ([], ["lattice.exploded"], ["ping"]):
        response = register(owner, events=events)
        assert response.status_code == 400, events
        assert "events" in response.json()["error"]["details"]


def test_patch_changes_events_and_disables(cast, client_for, endpoint):
    response = client_for(cast.owner).patch(
        f"{URL}/{endpoint.pk}",
        {"events": ["api_key.revoked", "api_key.created"], "is_active": False},
        format="json",
    )

    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.events == ["api_key.created", "api_key.revoked"]
    assert endpoint.is_active is False


def test_patch_to_a_private_url_is_refused(cast, client_for, endpoint, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    response = client_for(cast.owner).patch(
        f"{URL}/{endpoint.pk}", {"url": "https://10.0.0.1/x"}, format="json"
    )

    assert response.status_code == 400
    endpoint.refresh_from_db()
    assert endpoint.url.startswith("http://127.0.0.1")


def test_rotating_the_secret_replaces_it(cast, client_for, endpoint):
    old = endpoint.secret
    response = client_for(cast.admin).post(f"{URL}/{endpoint.pk}/rotate-secret")

    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.secret == response.json()["secret"] != old


def test_test_queues_a_ping_and_deliveries_show_it(cast, client_for, endpoint):
    admin = client_for(cast.admin)
    response = admin.post(f"{URL}/{endpoint.pk}/test")

    assert response.status_code == 202
    assert response.json()["type"] == "ping"
    deliveries = admin.get(f"{URL}/{endpoint.pk}/deliveries").json()["results"]
    assert [(d["event_type"], d["status"]) for d in deliveries] == [("ping", "queued")]
    assert deliveries[0]["event_id"] == response.json()["event_id"]


def test_delete_removes_the_endpoint_and_its_deliveries(cast, client_for, endpoint):
    admin = client_for(cast.admin)
    admin.post(f"{URL}/{endpoint.pk}/test")

    assert admin.delete(f"{URL}/{endpoint.pk}").status_code == 204
    assert not WebhookEndpoint.objects.exists()
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_cannot_manage_webhooks(cast, client_for, endpoint, role):
    client = client_for(cast.by_role(role))

    assert client.get(URL).status_code == 403
    assert register(client).status_code == 403
    assert client.get(f"{URL}/{endpoint.pk}").status_code == 403
    assert client.post(f"{URL}/{endpoint.pk}/test").status_code == 403


def test_another_tenants_endpoint_is_404(cast, client_for, endpoint):
    outsider = client_for(cast.outsider)

    assert outsider.get(f"{URL}/{endpoint.pk}").status_code == 404
    assert (
        outsider.patch(f"{URL}/{endpoint.pk}", {"is_active": False}, format="json").status_code
        == 404
    )
    assert outsider.post(f"{URL}/{endpoint.pk}/rotate-secret").status_code == 404
    assert outsider.post(f"{URL}/{endpoint.pk}/test").status_code == 404
    assert outsider.get(f"{URL}/{endpoint.pk}/deliveries").status_code == 404
    assert outsider.delete(f"{URL}/{endpoint.pk}").status_code == 404
    assert outsider.get(URL).json()["results"] == []
    endpoint.refresh_from_db()
    assert endpoint.is_active
