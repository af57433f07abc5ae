"""A person deletes their own account."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.api_keys import create_api_key
from accounts.models import ApiKey, User
from accounts.sessions import issue_token_pair
from lattices import services
from lattices.models import Lattice
from notifications.models import OutboxMessage
from tenants import audit
from tenants.models import AuditEvent, Membership, Role
from tests.conftest import PASSWORD, caller_for, make_member
from workspaces.closing import close_tenant

pytestmark = pytest.mark.django_db


def delete(client: Any, password: Any = PASSWORD) -> Any:
    return client.post("/api/users/me/delete", {"password": password}, format="json")


def key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    return client


def test_a_member_deletes_their_account(cast, client_for, anon):
    user = cast.admin.user
    pair = issue_token_pair(membership=cast.admin)
    key = create_api_key(tenant=cast.tenant, actor=user, name="mine", scope="write")
    lattice = services.create_lattice(
        caller_for(cast.tenant, user), name="kept", dimensions=2, size=3
    )
    client = client_for(cast.admin)

    response = delete(client)

    assert response.status_code == 204
    assert not User.objects.filter(email="admin@acme.example").exists()
    assert not Membership.objects.filter(tenant=cast.tenant, role=Role.ADMIN).exists()
    # Sessions and the keys they created are refused from now on.
    assert client.get("/api/tenants/current").status_code == 401
    assert (
        anon.post(
            "/api/tenants/refresh", {"refresh_token": pair.refresh_token}, format="json"
        ).status_code
        == 401
    )
    assert key_client(key.key).get("/api/lattices").status_code == 401
    assert ApiKey.objects.get(pk=key.api_key.pk).revoked_at is not None
    # The workspace keeps its lattice, and its other members keep working.
    assert Lattice.objects.get(pk=lattice.pk).created_by is None
    assert client_for(cast.owner).get("/api/tenants/current").status_code == 200
    login = anon.post(
        "/api/tenants/login", {"email": "admin@acme.example", "password": PASSWORD}, format="json"
    )
    assert login.status_code == 401


def test_the_last_email_is_queued_before_the_address_is_erased(cast, client_for):
    delete(client_for(cast.member))

    [farewell] = OutboxMessage.objects.filter(to_email="member@acme.example")
    assert farewell.kind == "account_deleted"
    assert "deleted" in farewell.subject
    assert "last email" in farewell.text_body


def test_audit_rows_keep_a_stable_pseudonym_instead_of_the_person(cast, client_for):
    user = cast.member.user
    audit.record("logout", tenant=cast.tenant, actor=user, ip_address="203.0.113.9")
    audit.record(
        "member.updated",
        tenant=cast.tenant,
        actor=cast.owner.user,
        target="user:member@acme.example",
    )
    audit.record("login.failed", tenant=cast.other_tenant, actor=user, email="member@acme.example")

    delete(client_for(cast.member))

    acted = AuditEvent.objects.filter(action__in=("logout", "login.failed"))
    aliases = {event.metadata["actor_alias"] for event in acted}
    assert len(aliases) == 1
    [alias] = aliases
    assert alias.startswith("deleted-user-")
    assert not acted.filter(actor__isnull=False).exists()
    assert not acted.filter(ip_address__isnull=False).exists()
    assert AuditEvent.objects.get(action="member.updated").target == f"user:{alias}"
    assert AuditEvent.objects.get(action="member.updated").actor == cast.owner.user
    assert AuditEvent.objects.get(action="account.deleted").metadata["actor_alias"] == alias
    everything = str(list(AuditEvent.objects.values()))
    assert "member@acme.example" not in everything


def test_the_last_owner_is_refused_with_409(cast, client_for):
    response = delete(client_for(cast.owner))

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "last_owner"
    assert "Close the workspace" in error["message"]
    assert error["details"]["workspaces"] == [{"slug": "acme-lattices", "name": "Acme Lattices"}]
    assert User.objects.filter(email="owner@acme.example").exists()


def test_an_owner_with_a_co_owner_may_go(cast, client_for):
    make_member(cast.tenant, "second.owner@acme.example", Role.OWNER)

    assert delete(client_for(cast.owner)).status_code == 204


def test_the_owner_of_a_closed_workspace_may_go(cast, client_for, settings):
    settings.STRIPE_SECRET_KEY = ""
    # The outsider also belongs to tenant A, so they can still sign in after closing B.
    membership = make_member(cast.tenant, "owner@globex.example", Role.MEMBER)
    close_tenant(tenant=cast.other_tenant, actor=cast.outsider.user, confirm="globex-grids")

    assert delete(client_for(membership)).status_code == 204


def test_a_wrong_password_is_400(cast, client_for):
    response = delete(client_for(cast.member), password="not-it")

    assert response.status_code == 400
    assert response.json()["error"]["details"]["password"]
    assert User.objects.filter(email="member@acme.example").exists()


def test_a_missing_password_is_400(cast, client_for):
    response = client_for(cast.member).post("/api/users/me/delete", {}, format="json")

    assert response.status_code == 400


def test_an_api_key_cannot_delete_its_creators_account(cast):
    key = create_api_key(tenant=cast.tenant, actor=cast.member.user, name="w", scope="write")

    response = delete(key_client(key.key))

    assert response.status_code == 403
    assert User.objects.filter(email="member@acme.example").exists()


def test_the_account_page_deletes_the_account(cast, page_client):
    browser = page_client(cast.viewer)
    assert b"Delete my account" in browser.get("/account/").content

    wrong = browser.post("/account/delete/", {"del-password": "nope"})
    assert wrong.status_code == 400
    assert User.objects.filter(email="viewer@acme.example").exists()

    done = browser.post("/account/delete/", {"del-password": PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == "/login/"
    assert not User.objects.filter(email="viewer@acme.example").exists()
    assert browser.get("/dashboard/").status_code == 302


def test_the_account_page_explains_the_last_owner_refusal(cast, page_client):
    response = page_client(cast.owner).post("/account/delete/", {"del-password": PASSWORD})

    assert response.status_code == 409
    assert b"last owner" in response.content


def test_an_unconfirmed_email_change_leaves_no_address_behind(cast, client_for):
    client = client_for(cast.member)
    asked = client.post(
        "/api/users/me/email",
        {"email": "secret.new@acme.example", "password": PASSWORD},
        format="json",
    )
    assert asked.status_code == 202

    assert delete(client).status_code == 204

    everything = str(list(AuditEvent.objects.values()))
    assert "secret.new@acme.example" not in everything
    assert "member@acme.example" not in everything
