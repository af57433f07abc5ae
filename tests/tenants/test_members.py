from __future__ import annotations

import pytest

from accounts.models import User
from notifications.models import OutboxMessage
from tenants.models import AuditEvent, Invitation, Membership, Role
from tests.accounts.conftest import bearer
from tests.conftest import make_member

pytestmark = pytest.mark.django_db

URL = "/api/tenants/members"


def member_url(membership) -> str:
    return f"{URL}/{membership.id}"


@pytest.mark.parametrize("role", ["owner", "admin", "member", "viewer"])
def test_every_role_lists_the_members_of_its_own_tenant(cast, client_for, role):
    response = client_for(cast.by_role(role)).get(URL)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [item["user"]["email"] for item in results] == [
        "owner@acme.example",
        "admin@acme.example",
        "member@acme.example",
        "viewer@acme.example",
    ]
    assert set(results[0]) == {"id", "user", "role", "is_active", "created_at"}
    assert set(results[0]["user"]) == {"id", "email", "first_name", "last_name"}


def test_an_outsider_lists_only_its_own_members(cast, client_for):
    emails = [m["user"]["email"] for m in client_for(cast.outsider).get(URL).json()["results"]]
    assert emails == ["owner@globex.example"]


# --- Adding and inviting ---------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_an_existing_user_is_added_at_once(cast, client_for, role):
    response = client_for(cast.by_role(role)).post(
        URL, {"email": "Owner@Globex.example", "role": "member"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["result"] == "added"
    assert body["member"]["user"]["email"] == "owner@globex.example"
    assert body["member"]["role"] == "member"
    assert Membership.objects.filter(user=cast.outsider.user, tenant=cast.tenant).exists()
    assert AuditEvent.objects.filter(action="member.added", tenant=cast.tenant).exists()
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_a_new_address_gets_an_invitation_email(cast, client_for, role):
    response = client_for(cast.by_role(role)).post(
        URL, {"email": "New.Hire@acme.example", "role": "viewer"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["result"] == "invited"
    assert body["invitation"]["email"] == "new.hire@acme.example"
    assert body["invitation"]["status"] == "pending"
    assert "token" not in str(body)
    message = OutboxMessage.objects.get(kind="member_invitation")
    assert message.to_email == "new.hire@acme.example"
    assert message.tenant_id == cast.tenant.id
    assert "https://app.catalytic.example/invitations/accept/" in message.text_body
    assert not User.objects.filter(email="new.hire@acme.example").exists()
    assert AuditEvent.objects.filter(action="invitation.sent", tenant=cast.tenant).exists()


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_cannot_add_anyone(cast, client_for, role):
    response = client_for(cast.by_role(role)).post(
        URL, {"email": "friend@acme.example", "role": "viewer"}, format="json"
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_only_an_owner_may_add_or_invite_an_owner(cast, client_for):
    for email in ("owner@globex.example", "newowner@acme.example"):
        response = client_for(cast.admin).post(
            URL, {"email": email, "role": "owner"}, format="json"
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "owner_required"
    response = client_for(cast.owner).post(
        URL, {"email": "newowner@acme.example", "role": "owner"}, format="json"
    )
    assert response.status_code == 201


def test_adding_an_existing_member_is_409(cast, client_for):
    response = client_for(cast.owner).post(
        URL, {"email": "viewer@acme.example", "role": "admin"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_member"


def test_bad_email_or_role_is_named(cast, client_for):
    response = client_for(cast.owner).post(URL, {"email": "x", "role": "god"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"email", "role"}


def test_invitations_are_rate_limited(cast, client_for, settings):
    settings.RATELIMIT_INVITE = "2/h"
    client = client_for(cast.admin)
    for number in range(2):
        client.post(URL, {"email": f"n{number}@acme.example", "role": "viewer"}, format="json")
    response = client.post(URL, {"email": "n9@acme.example", "role": "viewer"}, format="json")
    assert response.status_code == 429
    assert response.has_header("Retry-After")


# --- Changing roles ---------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_change_a_members_role(cast, client_for, role):
    response = client_for(cast.by_role(role)).patch(
        member_url(cast.viewer), {"role": "member"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["role"] == "member"
    assert Membership.objects.get(pk=cast.viewer.pk).role == "member"
    event = AuditEvent.objects.get(action="member.updated")
    assert event.metadata["changes"] == {"role": {"from": "viewer", "to": "member"}}


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_cannot_change_roles(cast, client_for, role):
    response = client_for(cast.by_role(role)).patch(
        member_url(cast.viewer), {"role": "admin"}, format="json"
    )
    assert response.status_code == 403
    assert Membership.objects.get(pk=cast.viewer.pk).role == "viewer"


def test_an_admin_cannot_grant_or_touch_owner(cast, client_for):
    admin = client_for(cast.admin)
    promote = admin.patch(member_url(cast.member), {"role": "owner"}, format="json")
    demote = admin.patch(member_url(cast.owner), {"role": "viewer"}, format="json")
    for response in (promote, demote):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "owner_required"
    assert Membership.objects.get(pk=cast.owner.pk).role == "owner"


def test_an_owner_grants_owner_and_then_may_step_down(cast, client_for):
    owner = client_for(cast.owner)
    assert owner.patch(member_url(cast.admin), {"role": "owner"}, format="json").status_code == 200
    response = owner.patch(member_url(cast.owner), {"role": "admin"}, format="json")
    assert response.status_code == 200
    assert Membership.objects.get(pk=cast.owner.pk).role == "admin"


def test_the_last_owner_can_never_be_demoted_or_suspended(cast, client_for):
    owner = client_for(cast.owner)
    for change in ({"role": "admin"}, {"is_active": False}):
        response = owner.patch(member_url(cast.owner), change, format="json")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "last_owner"
    membership = Membership.objects.get(pk=cast.owner.pk)
    assert (membership.role, membership.is_active) == ("owner", True)


def test_a_deactivated_users_ownership_does_not_count(cast, client_for):
    second = make_member(cast.tenant, "owner2@acme.example", Role.OWNER)
    User.objects.filter(pk=second.user_id).update(is_active=False)
    response = client_for(cast.owner).patch(
        member_url(cast.owner), {"role": "admin"}, format="json"
    )
    assert response.status_code == 409


def test_a_suspended_membership_stops_its_tokens_and_can_be_restored(cast, client_for, login, anon):
    tokens = login("member@acme.example").json()
    admin = client_for(cast.admin)
    response = admin.patch(member_url(cast.member), {"is_active": False}, format="json")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert bearer(tokens["access_token"]).get("/api/tenants/current").status_code == 401
    assert login("member@acme.example").json()["error"]["code"] == "membership_suspended"
    admin.patch(member_url(cast.member), {"is_active": True}, format="json")
    # Restored: a new login works, the sessions from before the suspension stay dead.
    assert login("member@acme.example").status_code == 200
    assert bearer(tokens["access_token"]).get("/api/tenants/current").status_code == 401
    refresh = anon.post(
        "/api/tenants/refresh", {"refresh_token": tokens["refresh_token"]}, format="json"
    )
    assert refresh.status_code == 401


def test_an_empty_change_is_400(cast, client_for):
    response = client_for(cast.owner).patch(member_url(cast.member), {}, format="json")
    assert response.status_code == 400


def test_an_outsider_cannot_reach_another_tenants_member(cast, client_for):
    outsider = client_for(cast.outsider)
    patch = outsider.patch(member_url(cast.member), {"role": "viewer"}, format="json")
    delete = outsider.delete(member_url(cast.member))
    assert patch.status_code == delete.status_code == 404
    assert Membership.objects.get(pk=cast.member.pk).role == "member"


def test_an_unknown_member_id_is_404(cast, client_for):
    response = client_for(cast.owner).delete(f"{URL}/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404


# --- Removing ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_a_removed_members_tokens_stop_on_the_next_request(cast, client_for, login, anon, role):
    tokens = login("member@acme.example").json()
    assert client_for(cast.by_role(role)).delete(member_url(cast.member)).status_code == 204
    assert not Membership.objects.filter(pk=cast.member.pk).exists()
    assert bearer(tokens["access_token"]).get("/api/tenants/current").status_code == 401
    refresh = anon.post(
        "/api/tenants/refresh", {"refresh_token": tokens["refresh_token"]}, format="json"
    )
    assert refresh.status_code == 401
    event = AuditEvent.objects.get(action="member.removed")
    assert event.target == "user:member@acme.example"


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_cannot_remove_anyone(cast, client_for, role):
    assert client_for(cast.by_role(role)).delete(member_url(cast.viewer)).status_code == 403
    assert Membership.objects.filter(pk=cast.viewer.pk).exists()


def test_only_an_owner_removes_an_owner_and_never_the_last(cast, client_for):
    second = make_member(cast.tenant, "owner2@acme.example", Role.OWNER)
    response = client_for(cast.admin).delete(member_url(second))
    assert response.status_code == 403
    assert client_for(cast.owner).delete(member_url(second)).status_code == 204
    last = client_for(cast.owner).delete(member_url(cast.owner))
    assert last.status_code == 409
    assert last.json()["error"]["code"] == "last_owner"
    assert Membership.objects.filter(pk=cast.owner.pk).exists()
