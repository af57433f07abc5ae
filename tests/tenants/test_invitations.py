from __future__ import annotations

import re
from datetime import timedelta

import jwt
import pytest
from django.utils import timezone

from accounts.models import User
from notifications.models import OutboxMessage
from tenants.invitations import find_invitation
from tenants.models import AuditEvent, Invitation, Membership
from tests.accounts.conftest import bearer
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/api/tenants/invitations"
ACCEPT = "/api/tenants/invitations/accept"
NEW_PASSWORD = "lattice-newcomer-passphrase-5"


def invite(client, email: str = "new.hire@acme.example", role: str = "member") -> str:
    """Invite and return the token from the queued email."""
    response = client.post("/api/tenants/members", {"email": email, "role": role}, format="json")
    assert response.status_code == 201, response.json()
    message = OutboxMessage.objects.filter(kind="member_invitation", to_email=email).latest(
        "created_at"
    )
    match = re.search(r"/invitations/accept/([\w-]+)/", message.text_body)
    assert match, message.text_body
    return match.group(1)


def accept(anon, token: str, password: str = NEW_PASSWORD, **names):
    body = {"token": token, "password": password, "first_name": "Nina", "last_name": "New"}
    return anon.post(ACCEPT, {**body, **names}, format="json")


def test_accepting_creates_the_account_and_returns_a_session(cast, client_for, anon):
    token = invite(client_for(cast.admin), role="viewer")
    response = accept(anon, token)
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["email"] == "new.hire@acme.example"
    assert body["user"]["role"] == "viewer"
    assert body["tenant"]["slug"] == "acme-lattices"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["role"] == "viewer"
    user = User.objects.get(email="new.hire@acme.example")
    assert (user.first_name, user.last_name) == ("Nina", "New")
    assert user.check_password(NEW_PASSWORD)
    assert Membership.objects.get(user=user, tenant=cast.tenant).role == "viewer"
    invitation = Invitation.objects.get(email="new.hire@acme.example")
    assert invitation.status == "accepted" and invitation.accepted_by == user
    assert AuditEvent.objects.filter(action="invitation.accepted", actor=user).exists()
    assert bearer(body["access_token"]).get("/api/tenants/current").status_code == 200


def test_an_invitation_works_only_once(cast, client_for, anon):
    token = invite(client_for(cast.owner))
    assert accept(anon, token).status_code == 200
    again = accept(anon, token)
    assert again.status_code == 410
    assert again.json()["error"]["code"] == "invitation_used"


def test_an_expired_invitation_is_refused_with_a_clear_code(cast, client_for, anon):
    token = invite(client_for(cast.owner))
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = accept(anon, token)
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "invitation_expired"
    assert not User.objects.filter(email="new.hire@acme.example").exists()


def test_invitations_expire_after_seven_days(cast, client_for):
    invite(client_for(cast.owner))
    invitation = Invitation.objects.get()
    assert abs(invitation.expires_at - (invitation.created_at + timedelta(days=7))) < timedelta(
        seconds=5
    )


def test_an_unknown_token_is_400(db, anon):
    response = accept(anon, "not-a-real-token")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_invitation"


def test_a_new_account_must_pass_the_password_validators(cast, client_for, anon):
    token = invite(client_for(cast.owner))
    response = accept(anon, token, password="123")
    assert response.status_code == 400
    assert response.json()["error"]["details"]["password"]
    assert Invitation.objects.get().status == "pending"


def test_an_existing_account_joins_with_its_own_password(cast, client_for, anon):
    owner = client_for(cast.owner)
    # Invited before the address had an account; the account appeared since.
    token = invite(owner, "late@acme.example")
    User.objects.create_user(email="late@acme.example", password=PASSWORD)
    wrong = accept(anon, token, password="someone-elses-guess-1")
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "invalid_credentials"
    response = accept(anon, token, password=PASSWORD)
    assert response.status_code == 200
    assert response.json()["user"]["email"] == "late@acme.example"
    assert User.objects.get(email="late@acme.example").check_password(PASSWORD)


def test_inviting_again_replaces_the_pending_link(cast, client_for, anon):
    owner = client_for(cast.owner)
    first = invite(owner)
    second = invite(owner)
    assert accept(anon, first).json()["error"]["code"] == "invitation_revoked"
    assert accept(anon, second).status_code == 200


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_list_and_revoke_invitations(cast, client_for, anon, role):
    client = client_for(cast.by_role(role))
    token = invite(client)
    listing = client.get(URL)
    assert listing.status_code == 200
    [item] = listing.json()["results"]
    assert item["email"] == "new.hire@acme.example"
    assert item["status"] == "pending"
    assert item["invited_by"] == f"{role}@acme.example"
    assert "token_hash" not in item
    assert client.delete(f"{URL}/{item['id']}").status_code == 204
    assert client.get(URL).json()["results"][0]["status"] == "revoked"
    response = accept(anon, token)
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "invitation_revoked"
    assert AuditEvent.objects.filter(action="invitation.revoked").exists()


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_cannot_see_or_revoke_invitations(cast, client_for, role):
    invite(client_for(cast.owner))
    invitation = Invitation.objects.get()
    client = client_for(cast.by_role(role))
    assert client.get(URL).status_code == 403
    assert client.delete(f"{URL}/{invitation.id}").status_code == 403
    assert Invitation.objects.get().revoked_at is None


def test_an_outsider_cannot_see_or_revoke_another_tenants_invitations(cast, client_for):
    invite(client_for(cast.owner))
    invitation = Invitation.objects.get()
    outsider = client_for(cast.outsider)
    assert outsider.get(URL).json()["results"] == []
    assert outsider.delete(f"{URL}/{invitation.id}").status_code == 404
    assert Invitation.objects.get().revoked_at is None


def test_an_accepted_invitation_cannot_be_revoked(cast, client_for, anon):
    owner = client_for(cast.owner)
    accept(anon, invite(owner))
    response = owner.delete(f"{URL}/{Invitation.objects.get().id}")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invitation_used"


def test_the_page_can_look_an_invitation_up_before_accepting(cast, client_for):
    token = invite(client_for(cast.owner), role="admin")
    invitation = find_invitation(token)
    assert (invitation.tenant, invitation.role, invitation.invited_by) == (
        cast.tenant,
        "admin",
        cast.owner.user,
    )


def test_accepting_is_rate_limited(db, anon, settings):
    settings.RATELIMIT_INVITE_ACCEPT = "2/m"
    for _ in range(2):
        accept(anon, "guess")
    response = accept(anon, "guess")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
