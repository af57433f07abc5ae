"""The team page and the invitation link: the API's rules, as forms."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from notifications.models import Kind, OutboxMessage
from tenants.invitations import invite_member
from tenants.models import Invitation, Membership, Role
from tenants.page_auth import SESSION_TENANT_KEY
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def invite(cast: Any, email: str = "new.hire@acme.example", role: str = Role.MEMBER) -> str:
    """Invite through the service; the token, read back from the emailed link."""
    invite_member(
        tenant=cast.tenant, actor=cast.owner.user, actor_role=Role.OWNER, email=email, role=role
    )
    return accept_path(email)


def accept_path(email: str) -> str:
    message = OutboxMessage.objects.filter(kind=Kind.MEMBER_INVITATION, to_email=email).first()
    match = re.search(r"(/invitations/accept/[^/\s]+/)", message.text_body)
    assert match, message.text_body
    return match.group(1)


@pytest.mark.parametrize("role", ["owner", "admin", "member", "viewer"])
def test_every_member_sees_the_team_with_roles(cast, page_client, role):
    html = page_client(cast.by_role(role)).get("/team/").content.decode()

    for email in ("owner@acme.example", "admin@acme.example", "viewer@acme.example"):
        assert email in html
    assert "owner@globex.example" not in html


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_see_no_team_controls(cast, page_client, role):
    html = page_client(cast.by_role(role)).get("/team/").content.decode()

    assert "Send invitation" not in html
    assert "/remove/" not in html
    assert "/role/" not in html
    assert "Pending invitations" not in html


def test_an_admin_sees_controls_but_none_on_owners(cast, page_client):
    html = page_client(cast.admin).get("/team/").content.decode()

    assert "Send invitation" in html
    assert f"/team/members/{cast.member.pk}/remove/" in html
    assert f"/team/members/{cast.owner.pk}/remove/" not in html
    assert f"/team/members/{cast.owner.pk}/role/" not in html
    assert '<option value="owner"' not in html  # only owners grant owner


def test_an_owner_may_grant_owner(cast, page_client):
    html = page_client(cast.owner).get("/team/").content.decode()

    assert '<option value="owner"' in html


def test_an_admin_invites_a_new_person_by_email(cast, page_client):
    response = page_client(cast.admin).post(
        "/team/", {"email": "New.Hire@acme.example", "role": "viewer"}
    )

    assert response.status_code == 302
    invitation = Invitation.objects.get(email="new.hire@acme.example")
    assert invitation.role == Role.VIEWER and invitation.tenant == cast.tenant
    assert OutboxMessage.objects.filter(
        kind=Kind.MEMBER_INVITATION, to_email="new.hire@acme.example"
    ).exists()
    html = page_client(cast.admin).get("/team/").content.decode()
    assert "new.hire@acme.example" in html


def test_inviting_an_existing_user_adds_them_at_once(cast, page_client):
    response = page_client(cast.owner).post(
        "/team/", {"email": "owner@globex.example", "role": "member"}
    )

    assert response.status_code == 302
    assert Membership.objects.filter(
        tenant=cast.tenant, user=cast.outsider.user, role=Role.MEMBER
    ).exists()


def test_the_invite_form_shows_errors_next_to_fields(cast, page_client):
    response = page_client(cast.admin).post("/team/", {"email": "nope", "role": "emperor"})

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_email_error"' in html
    assert 'id="id_role_error"' in html
    assert not Invitation.objects.exists()


def test_an_admin_cannot_invite_an_owner(cast, page_client):
    response = page_client(cast.admin).post(
        "/team/", {"email": "boss@acme.example", "role": "owner"}
    )

    assert response.status_code == 400
    assert 'id="id_role_error"' in response.content.decode()
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_posting_an_invitation_without_the_role_is_403_and_sends_nothing(cast, page_client, role):
    response = page_client(cast.by_role(role)).post(
        "/team/", {"email": "sneaky@acme.example", "role": "admin"}
    )

    assert response.status_code == 403
    assert not Invitation.objects.exists()
    assert not OutboxMessage.objects.filter(kind=Kind.MEMBER_INVITATION).exists()


def test_an_admin_changes_a_role(cast, page_client):
    response = page_client(cast.admin).post(
        f"/team/members/{cast.viewer.pk}/role/", {"role": "member"}
    )

    assert response.status_code == 302
    cast.viewer.refresh_from_db()
    assert cast.viewer.role == Role.MEMBER


def test_an_admin_cannot_promote_to_owner(cast, page_client):
    client = page_client(cast.admin)
    client.post(f"/team/members/{cast.viewer.pk}/role/", {"role": "owner"})

    cast.viewer.refresh_from_db()
    assert cast.viewer.role == Role.VIEWER
    assert "Only an owner can grant" in client.get("/team/").content.decode()


def test_the_last_owner_cannot_step_down(cast, page_client):
    client = page_client(cast.owner)
    client.post(f"/team/members/{cast.owner.pk}/role/", {"role": "admin"})

    cast.owner.refresh_from_db()
    assert cast.owner.role == Role.OWNER
    assert "The last owner cannot be demoted" in client.get("/team/").content.decode()


def test_an_admin_removes_a_member(cast, page_client):
    response = page_client(cast.admin).post(f"/team/members/{cast.member.pk}/remove/")

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=cast.member.pk).exists()


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_role_and_removal_posts_without_the_role_are_403(cast, page_client, role):
    client = page_client(cast.by_role(role))

    assert (
        client.post(f"/team/members/{cast.admin.pk}/role/", {"role": "viewer"}).status_code == 403
    )
    assert client.post(f"/team/members/{cast.admin.pk}/remove/").status_code == 403
    cast.admin.refresh_from_db()
    assert cast.admin.role == Role.ADMIN


def test_another_tenants_member_is_not_found(cast, page_client):
    client = page_client(cast.owner)

    assert (
        client.post(f"/team/members/{cast.outsider.pk}/role/", {"role": "viewer"}).status_code
        == 404
    )
    assert client.post(f"/team/members/{cast.outsider.pk}/remove/").status_code == 404
    assert Membership.objects.filter(pk=cast.outsider.pk, role=Role.OWNER).exists()


def test_a_removed_member_is_logged_out_at_the_next_page(cast, page_client):
    client = page_client(cast.member)
    assert client.get("/dashboard/").status_code == 200

    Membership.objects.filter(pk=cast.member.pk).delete()

    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert SESSION_TENANT_KEY not in client.session
    assert "_auth_user_id" not in client.session


def test_a_suspended_membership_ends_the_session(cast, page_client):
    client = page_client(cast.member)
    Membership.objects.filter(pk=cast.member.pk).update(is_active=False)

    assert client.get("/lattices/")["Location"] == "/login/"


def test_a_deactivated_user_is_logged_out(cast, page_client):
    client = page_client(cast.member)
    User.objects.filter(pk=cast.member.user_id).update(is_active=False)

    assert client.get("/dashboard/")["Location"].startswith("/login/")


def test_pending_invitations_can_be_withdrawn(cast, page_client):
    invite(cast)
    invitation = Invitation.objects.get()
    client = page_client(cast.admin)
    assert "new.hire@acme.example" in client.get("/team/").content.decode()

    client.post(f"/team/invitations/{invitation.pk}/revoke/")

    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert (
        page_client(cast.viewer).post(f"/team/invitations/{invitation.pk}/revoke/").status_code
        == 403
    )


# --- accepting ----------------------------------------------------------------------------


def test_a_new_person_accepts_sets_a_password_and_is_logged_in(cast, browser_anon):
    path = invite(cast, role=Role.VIEWER)

    page = browser_anon.get(path)
    assert page.status_code == 200
    assert "Join Acme Lattices" in page.content.decode()
    response = browser_anon.post(
        path,
        {
            "first_name": "Nina",
            "last_name": "Hire",
            "password1": "my-own-secret-phrase-5",
            "password2": "my-own-secret-phrase-5",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    user = User.objects.get(email="new.hire@acme.example")
    assert user.check_password("my-own-secret-phrase-5")
    assert Membership.objects.get(user=user, tenant=cast.tenant).role == Role.VIEWER
    assert "Your role: Viewer" in browser_anon.get("/dashboard/").content.decode()
    assert browser_anon.get(path).status_code == 410  # single use


def test_accepting_shows_password_problems_at_the_field(cast, browser_anon):
    path = invite(cast)

    response = browser_anon.post(
        path, {"first_name": "N", "last_name": "H", "password1": "abc", "password2": "abc"}
    )

    assert response.status_code == 400
    assert 'id="id_password2_error"' in response.content.decode()
    assert not User.objects.filter(email="new.hire@acme.example").exists()


def test_an_account_made_after_the_invitation_accepts_with_its_password(cast, browser_anon):
    path = invite(cast, email="known@else.example")
    User.objects.create_user(email="known@else.example", password=PASSWORD)
    assert "enter its password" in browser_anon.get(path).content.decode()

    wrong = browser_anon.post(path, {"password1": "not-it"})
    assert wrong.status_code == 400
    assert 'id="id_password1_error"' in wrong.content.decode()

    right = browser_anon.post(path, {"password1": PASSWORD})
    assert right.status_code == 302
    assert Membership.objects.filter(tenant=cast.tenant, user__email="known@else.example").exists()


def test_a_made_up_invitation_link_is_refused(plans, browser_anon):
    response = browser_anon.get("/invitations/accept/made-up-token/")

    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_an_expired_invitation_is_gone(cast, browser_anon):
    path = invite(cast)
    Invitation.objects.update(expires_at=timezone.now())

    response = browser_anon.get(path)

    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_inviting_a_current_member_says_so_at_the_email_field(cast, page_client):
    response = page_client(cast.admin).post(
        "/team/", {"email": "viewer@acme.example", "role": "member"}
    )

    assert response.status_code == 409
    assert re.search(
        r'id="id_email_error"><li>This person is already a member.', response.content.decode()
    )
    cast.viewer.refresh_from_db()
    assert cast.viewer.role == Role.VIEWER
