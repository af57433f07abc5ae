"""A person whose only workspace was purged keeps a usable account: sign in, then start
a new workspace or delete the account."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from billing.models import Subscription
from catalytic.errors import ServiceError
from notifications.models import OutboxMessage
from tenants.models import AuditEvent, Membership, Role, Tenant
from tests.conftest import PASSWORD
from tests.lifecycle.test_purge import closed, purge
from workspaces.signup import start_workspace

pytestmark = pytest.mark.django_db

NO_WORKSPACE = "/account/no-workspace/"


@pytest.fixture
def purged(cast: Any, settings: Any) -> Any:
    settings.STRIPE_SECRET_KEY = ""
    closed(cast.tenant, cast.owner.user, days_ago=31)
    assert "✓ Purged acme-lattices" in purge()
    assert not Membership.objects.filter(user=cast.member.user).exists()
    return cast


def page_login(email: str, password: str = PASSWORD) -> tuple[Client, Any]:
    client = Client()
    return client, client.post("/login/", {"email": email, "password": password})


def test_the_api_login_says_how_to_go_on(purged, anon):
    response = anon.post(
        "/api/tenants/login", {"email": "member@acme.example", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "no_membership"
    assert "start a new workspace" in error["message"]
    assert "delete the account" in error["message"]


def test_the_page_login_lands_on_the_no_workspace_page(purged):
    client, response = page_login("member@acme.example")

    assert response.status_code == 302
    assert response["Location"] == NO_WORKSPACE
    signed_in = AuditEvent.objects.get(action="login.succeeded", actor=purged.member.user)
    assert (signed_in.tenant, signed_in.metadata["method"]) == (None, "session")
    page = client.get(NO_WORKSPACE)
    assert page.status_code == 200
    assert b"You have no workspace" in page.content
    assert b'href="/workspace/new/"' in page.content
    # Nothing of a workspace is reachable from this session.
    assert client.get("/dashboard/").status_code == 302


def test_a_wrong_password_still_gets_nowhere(purged):
    client, response = page_login("member@acme.example", "not-the-password")

    assert response.status_code == 400
    assert client.get(NO_WORKSPACE).status_code == 302


def test_they_start_a_new_workspace_and_own_it(purged, anon):
    client, _ = page_login("member@acme.example")

    response = client.post("/workspace/new/", {"company_name": "Member Labs"})

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200
    membership = Membership.objects.select_related("tenant").get(user=purged.member.user)
    assert (membership.tenant.name, membership.role) == ("Member Labs", Role.OWNER)
    assert membership.tenant.billing_email == "member@acme.example"
    assert Subscription.objects.get(tenant=membership.tenant).plan.code == "free"
    assert OutboxMessage.objects.filter(tenant=membership.tenant, kind="welcome").exists()
    api = anon.post(
        "/api/tenants/login", {"email": "member@acme.example", "password": PASSWORD}, format="json"
    )
    assert api.status_code == 200
    assert api.json()["tenant"]["slug"] == "member-labs"


def test_a_new_workspace_needs_a_name(purged):
    client, _ = page_login("member@acme.example")

    response = client.post("/workspace/new/", {"company_name": ""})

    assert response.status_code == 400
    assert not Membership.objects.filter(user=purged.member.user).exists()


def test_they_delete_their_account(purged):
    client, _ = page_login("member@acme.example")

    wrong = client.post(NO_WORKSPACE, {"del-password": "nope"})
    assert wrong.status_code == 400
    assert User.objects.filter(email="member@acme.example").exists()

    done = client.post(NO_WORKSPACE, {"del-password": PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == "/login/"
    assert not User.objects.filter(email="member@acme.example").exists()
    assert OutboxMessage.objects.filter(kind="account_deleted").exists()


def test_the_last_owner_of_a_purged_workspace_may_delete_the_account(purged):
    client, _ = page_login("owner@acme.example")

    assert client.post(NO_WORKSPACE, {"del-password": PASSWORD}).status_code == 302
    assert not User.objects.filter(email="owner@acme.example").exists()
    assert Tenant.objects.get(pk=purged.tenant.pk).purged_at is not None


def test_a_person_with_a_workspace_cannot_start_another_here(cast, page_client):
    browser = page_client(cast.member)

    assert browser.get(NO_WORKSPACE)["Location"].startswith("/login/workspace/")
    response = browser.post("/workspace/new/", {"company_name": "Side Project"})
    assert response.status_code == 409
    with pytest.raises(ServiceError) as refused:
        start_workspace(user=cast.member.user, company_name="Side Project")
    assert refused.value.code == "has_workspace"
    assert Membership.objects.filter(user=cast.member.user).count() == 1


def test_the_new_workspace_page_needs_a_sign_in(db):
    response = Client().get("/workspace/new/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
