"""The Webhooks page: register (secret shown once), test, rotate, disable, remove."""

from __future__ import annotations

import pytest

from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

PAGE = "/integrations/webhooks/"
HOOK = "https://93.184.215.14/hooks/catalytic"


def test_an_admin_registers_an_endpoint_and_sees_the_secret_once(cast, page_client):
    client = page_client(cast.admin)
    response = client.post(PAGE, {"url": HOOK, "events": ["member.added", "api_key.created"]})

    assert response.status_code == 201
    endpoint = WebhookEndpoint.objects.for_tenant(cast.tenant).get()
    assert endpoint.secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    listed = client.get(PAGE).content.decode()
    assert HOOK in listed and endpoint.secret not in listed


def test_a_private_url_is_refused_on_the_page(cast, page_client):
    response = page_client(cast.owner).post(
        PAGE, {"url": "https://169.254.169.254/", "events": ["member.added"]}
    )

    assert response.status_code == 200
    assert "internal address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_test_rotate_disable_and_remove(cast, page_client):
    client = page_client(cast.owner)
    client.post(PAGE, {"url": HOOK, "events": ["member.added"]})
    endpoint = WebhookEndpoint.objects.get()
    detail = f"{PAGE}{endpoint.pk}/"

    assert client.post(f"{detail}test/").status_code == 302
    assert "ping" in client.get(detail).content.decode()
    assert WebhookDelivery.objects.filter(endpoint=endpoint, event__type="ping").exists()

    rotated = client.post(f"{detail}rotate/")
    new_secret = WebhookEndpoint.objects.get().secret
    assert new_secret != endpoint.secret and new_secret in rotated.content.decode()

    client.post(f"{detail}toggle/")
    assert WebhookEndpoint.objects.get().is_active is False
    assert client.post(f"{detail}explode/").status_code == 404

    assert client.post(f"{detail}delete/").status_code == 302
    assert not WebhookEndpoint.objects.exists()
