"""Closing a workspace: billing stops once, every credential ends, members are told."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.api_keys import create_api_key
from accounts.models import ApiKey
from accounts.sessions import issue_token_pair
from notifications.models import OutboxMessage
from tenants.models import AuditEvent, Tenant
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def close(client: Any, confirm: Any = "acme-lattices") -> Any:
    body = {} if confirm is None else {"confirm": confirm}
    return client.post("/api/tenants/close", body, format="json")


def key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    return client


def test_closing_cancels_the_subscription_at_once_and_answers_the_closed_workspace(
    paying, fake_stripe, client_for
):
    before = timezone.now()

    response = close(client_for(paying.owner))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "deleted"
    assert body["slug"] == "acme-lattices"
    closed_at = Tenant.objects.get(pk=paying.tenant.pk).closed_at
    assert closed_at >= before
    assert body["purge_after"].startswith(f"{closed_at + timedelta(days=30):%Y-%m-%d}")
    [call] = fake_stripe.calls_to("DELETE", f"/v1/subscriptions/{paying.stripe_subscription_id}")
    assert call.headers.get("Idempotency-Key", "").startswith("catalytic-cancel-now-")
    assert fake_stripe.get(paying.stripe_subscription_id)["status"] == "canceled"
    event = AuditEvent.objects.get(tenant=paying.tenant, action="tenant.closed")
    assert event.actor == paying.owner.user
    assert event.metadata["subscription_cancelled"] is True


def test_a_retried_close_cancels_nothing_more(paying, fake_stripe, client_for):
    owner = client_for(paying.owner)
    second_session = client_for(paying.owner)

    assert close(owner).status_code == 200
    retried = close(second_session)

    # The retry's credentials died with the workspace; Stripe was asked once.
    assert retried.status_code == 401
    assert len(fake_stripe.calls_to("DELETE", "/v1/subscriptions/.+")) == 1
    assert AuditEvent.objects.filter(action="tenant.closed").count() == 1


def test_members_get_an_email_and_the_billing_address_too(paying, client_for):
    close(client_for(paying.owner))

    sent = OutboxMessage.objects.filter(tenant=paying.tenant, kind="workspace_closed")
    assert sorted(sent.values_list("to_email", flat=True)) == [
        "admin@acme.example",
        "billing@acme-lattices.example",
        "member@acme.example",
        "owner@acme.example",
        "viewer@acme.example",
    ]
    message = sent.get(to_email="viewer@acme.example")
    assert "Acme Lattices" in message.subject
    assert "nothing more will be charged" in message.text_body


def test_tokens_refresh_tokens_and_api_keys_are_refused_afterwards(paying, client_for, anon):
    viewer = client_for(paying.viewer)
    pair = issue_token_pair(membership=paying.member)
    key = create_api_key(tenant=paying.tenant, actor=paying.owner.user, name="ci", scope="write")
    assert key_client(key.key).get("/api/lattices").status_code == 200

    assert close(client_for(paying.owner)).status_code == 200

    assert viewer.get("/api/tenants/current").status_code == 401
    assert key_client(key.key).get("/api/lattices").status_code == 401
    refreshed = anon.post(
        "/api/tenants/refresh", {"refresh_token": pair.refresh_token}, format="json"
    )
    assert refreshed.status_code == 401
    verified = anon.post("/api/auth/verify", {"token": pair.access_token}, format="json")
    assert verified.status_code == 401
    assert ApiKey.objects.get(pk=key.api_key.pk).revoked_at is not None


def test_members_no_longer_see_it_at_login(paying, client_for, anon):
    close(client_for(paying.owner))

    response = anon.post(
        "/api/tenants/login", {"email": "member@acme.example", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "no_membership"
    named = anon.post(
        "/api/tenants/login",
        {"email": "member@acme.example", "password": PASSWORD, "tenant": "acme-lattices"},
        format="json",
    )
    assert named.status_code == 400


def test_a_page_session_in_the_workspace_ends(paying, client_for, page_client):
    browser = page_client(paying.admin)
    assert browser.get("/dashboard/").status_code == 200

    close(client_for(paying.owner))

    response = browser.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_its_name_can_be_taken_by_a_new_workspace(paying, client_for, anon):
    close(client_for(paying.owner))

    response = anon.post(
        "/api/tenants/register",
        {
            "company_name": "Acme Lattices",
            "email": "founder@new-acme.example",
            "password": "a-brand-new-password-77",
            "first_name": "N",
            "last_name": "A",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["tenant"]["slug"] == "acme-lattices"
    assert Tenant.objects.filter(slug="acme-lattices").count() == 2


@pytest.mark.parametrize("confirm", [None, "", "acme", "ACME-LATTICES", "globex-grids", 7])
def test_a_wrong_or_missing_confirmation_is_400_and_closes_nothing(
    confirm, paying, fake_stripe, client_for
):
    response = close(client_for(paying.owner), confirm=confirm)

    assert response.status_code == 400
    assert response.json()["error"]["code"] in ("confirmation_required", "validation_error")
    assert Tenant.objects.get(pk=paying.tenant.pk).status == Tenant.Status.ACTIVE
    assert not fake_stripe.calls_to("DELETE", "/v1/subscriptions/.+")


@pytest.mark.parametrize("role", ["admin", "member", "viewer"])
def test_only_an_owner_may_close(role, paying, fake_stripe, client_for):
    response = close(client_for(paying.by_role(role)))

    assert response.status_code == 403
    assert Tenant.objects.get(pk=paying.tenant.pk).status == Tenant.Status.ACTIVE


def test_an_api_key_may_not_close(paying, client_for):
    key = create_api_key(tenant=paying.tenant, actor=paying.owner.user, name="w", scope="write")

    assert close(key_client(key.key)).status_code == 403


def test_a_stripe_outage_closes_nothing(paying, fake_stripe, client_for):
    fake_stripe.fail_every_call(500, "Stripe is down")

    response = close(client_for(paying.owner))

    assert response.status_code == 503
    assert Tenant.objects.get(pk=paying.tenant.pk).status == Tenant.Status.ACTIVE
    assert client_for(paying.viewer).get("/api/tenants/current").status_code == 200
    assert not OutboxMessage.objects.filter(kind="workspace_closed").exists()


def test_a_free_workspace_closes_without_calling_stripe(cast, client_for, settings):
    settings.STRIPE_SECRET_KEY = ""

    response = close(client_for(cast.owner))

    assert response.status_code == 200
    assert Tenant.objects.get(pk=cast.tenant.pk).status == Tenant.Status.DELETED
    # Another tenant is untouched.
    assert client_for(cast.outsider).get("/api/tenants/current").status_code == 200


def test_the_close_page_needs_the_typed_slug(paying, fake_stripe, page_client):
    browser = page_client(paying.owner)
    page = browser.get("/workspace/close/")
    assert page.status_code == 200
    assert b"acme-lattices" in page.content

    wrong = browser.post("/workspace/close/", {"confirm": "acme"})
    assert wrong.status_code == 400
    assert Tenant.objects.get(pk=paying.tenant.pk).status == Tenant.Status.ACTIVE

    done = browser.post("/workspace/close/", {"confirm": "acme-lattices"})
    assert done.status_code == 302
    assert done["Location"] == "/login/"
    assert Tenant.objects.get(pk=paying.tenant.pk).status == Tenant.Status.DELETED
    assert len(fake_stripe.calls_to("DELETE", "/v1/subscriptions/.+")) == 1


def test_the_close_page_is_for_owners(paying, page_client):
    assert page_client(paying.admin).get("/workspace/close/").status_code == 403
    assert (
        page_client(paying.admin)
        .post("/workspace/close/", {"confirm": "acme-lattices"})
        .status_code
        == 403
    )


def test_stripes_deleted_webhook_after_closing_sends_no_second_cancellation_email(
    paying, fake_stripe, client_for, deliver
):
    assert close(client_for(paying.owner)).status_code == 200
    told = sorted(
        OutboxMessage.objects.filter(tenant=paying.tenant).values_list("kind", "to_email")
    )

    # Stripe then reports the subscription the close cancelled as deleted.
    deleted = fake_stripe.event(
        "customer.subscription.deleted", fake_stripe.get(paying.stripe_subscription_id)
    )
    assert deliver(deleted).status_code == 200

    after = sorted(
        OutboxMessage.objects.filter(tenant=paying.tenant).values_list("kind", "to_email")
    )
    assert after == told
    # The billing address heard of the cancellation once, in the closing email.
    assert ("workspace_closed", "billing@acme-lattices.example") in told
