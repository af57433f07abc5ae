"""Sign-up asks for proof of the email: until the link is followed, the Free plan works
but inviting people is refused (403 `email_unverified`); an accepted invitation proves
the address by itself. Checkout's refusal: tests/billing/test_checkout_unverified.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing

from accounts.api_keys import create_api_key
from accounts.email_verification import VERIFY_SALT
from accounts.models import User
from notifications.models import OutboxMessage
from tenants.models import AuditEvent
from tests.accounts.conftest import bearer
from tests.conftest import PASSWORD, emailed_link

pytestmark = pytest.mark.django_db

EMAIL = "bill@initech.example"
LINK = "/account/verify-email/"


def sign_up(anon):
    response = anon.post(
        "/api/tenants/register",
        {
            "company_name": "Initech Lattices",
            "email": "Bill@Initech.example",
            "password": "lattice-passphrase-123",
            "first_name": "Bill",
            "last_name": "Lumbergh",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return bearer(response.json()["tokens"]["access_token"])


def invite(client, email="peter@initech.example"):
    return client.post("/api/tenants/members", {"email": email, "role": "member"}, format="json")


def token_of(path: str) -> str:
    return path.removeprefix(LINK).rstrip("/")


def test_a_new_account_is_unverified_and_gets_a_link(anon, plans):
    client = sign_up(anon)

    me = client.get("/api/users/me")

    assert me.status_code == 200
    assert me.json()["email"] == EMAIL
    assert me.json()["email_verified"] is False
    message = OutboxMessage.objects.get(kind="email_verification")
    assert message.to_email == EMAIL
    assert emailed_link(EMAIL, LINK).startswith(LINK)


def test_until_verified_the_free_plan_works_but_inviting_is_refused(anon, plans):
    client = sign_up(anon)

    made = client.post("/api/lattices", {"name": "g", "dimensions": 2, "size": 3}, format="json")
    refused = invite(client)

    assert made.status_code == 201
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "email_unverified"
    assert not OutboxMessage.objects.filter(kind="member_invitation").exists()


def test_following_the_link_verifies_and_inviting_works(anon, plans, client):
    api = sign_up(anon)

    page = client.get(emailed_link(EMAIL, LINK))

    assert page.status_code == 200
    assert "Email address confirmed" in page.content.decode()
    assert api.get("/api/users/me").json()["email_verified"] is True
    assert invite(api).status_code == 201
    assert AuditEvent.objects.filter(action="account.email_verified").count() == 1
    # A second visit changes nothing and still says so.
    assert client.get(emailed_link(EMAIL, LINK)).status_code == 200
    assert AuditEvent.objects.filter(action="account.email_verified").count() == 1


def test_the_api_verifies_with_the_links_token(anon, plans):
    api = sign_up(anon)
    token = token_of(emailed_link(EMAIL, LINK))

    response = anon.post("/api/auth/verify-email", {"token": token}, format="json")

    assert response.status_code == 200
    assert response.json()["email_verified"] is True
    assert api.get("/api/users/me").json()["email_verified"] is True


def test_an_expired_link_is_refused(anon, plans, client, settings):
    sign_up(anon)
    settings.EMAIL_VERIFICATION_TTL = timedelta(seconds=-1)

    page = client.get(emailed_link(EMAIL, LINK))
    api = anon.post(
        "/api/auth/verify-email", {"token": token_of(emailed_link(EMAIL, LINK))}, format="json"
    )

    assert page.status_code == 400
    assert "expired" in page.content.decode()
    assert api.status_code == 400
    assert api.json()["error"]["code"] == "invalid_link"
    assert User.objects.get(email=EMAIL).email_verified_at is None


def test_a_forged_or_altered_link_is_refused(anon, plans, client):
    sign_up(anon)
    user = User.objects.get(email=EMAIL)
    # Signed with another purpose's salt, or with the payload edited: neither verifies.
    other_salt = signing.dumps({"u": str(user.pk), "e": EMAIL}, salt="something-else")
    altered = token_of(emailed_link(EMAIL, LINK))[:-2] + "xx"

    for token in (other_salt, altered, "made-up"):
        assert client.get(f"{LINK}{token}/").status_code == 400
    assert User.objects.get(email=EMAIL).email_verified_at is None


def test_a_link_for_an_address_the_account_left_is_dead(anon, plans, client):
    sign_up(anon)
    user = User.objects.get(email=EMAIL)
    old_link = signing.dumps({"u": str(user.pk), "e": "old@initech.example"}, salt=VERIFY_SALT)

    assert client.get(f"{LINK}{old_link}/").status_code == 400
    assert User.objects.get(email=EMAIL).email_verified_at is None


def test_resending_sends_a_new_link_and_is_rate_limited(anon, plans, settings):
    settings.RATELIMIT_VERIFY_EMAIL = "2/h"
    api = sign_up(anon)
    url = "/api/users/me/verify-email/resend"

    answers = [api.post(url).status_code for _ in range(3)]

    assert answers == [202, 202, 429]
    limited = api.post(url)
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited["Retry-After"]) > 0
    assert OutboxMessage.objects.filter(kind="email_verification", to_email=EMAIL).count() == 3


def test_resending_once_verified_is_a_409(cast, client_for):
    response = client_for(cast.owner).post("/api/users/me/verify-email/resend")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_verified"


def test_an_api_key_is_not_a_person(cast, anon):
    key = create_api_key(tenant=cast.tenant, actor=cast.owner.user, name="ci", scope="write")

    response = anon.get("/api/users/me", HTTP_X_API_KEY=key.key)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_a_session"


def test_accepting_an_invitation_verifies_a_new_account(cast, client_for, anon):
    invite(client_for(cast.owner), "nina@acme.example")
    token = emailed_link("nina@acme.example", "/invitations/accept/").split("/")[-2]

    accepted = anon.post(
        "/api/tenants/invitations/accept",
        {
            "token": token,
            "password": "lattice-newcomer-pass-5",
            "first_name": "N",
            "last_name": "N",
        },
        format="json",
    )

    assert accepted.status_code == 200
    me = bearer(accepted.json()["access_token"]).get("/api/users/me").json()
    assert me["email_verified"] is True


def test_accepting_an_invitation_verifies_an_existing_account(cast, client_for, anon):
    invite(client_for(cast.owner), "late@acme.example")
    User.objects.create_user(email="late@acme.example", password=PASSWORD)
    token = emailed_link("late@acme.example", "/invitations/accept/").split("/")[-2]

    accepted = anon.post(
        "/api/tenants/invitations/accept", {"token": token, "password": PASSWORD}, format="json"
    )

    assert accepted.status_code == 200
    assert User.objects.get(email="late@acme.example").email_verified_at is not None


# --- pages --------------------------------------------------------------------------


def page_sign_up(client):
    response = client.post(
        "/signup/",
        {
            "company_name": "Initech Lattices",
            "first_name": "Bill",
            "last_name": "Lumbergh",
            "email": EMAIL,
            "password1": "lattice-passphrase-123",
            "password2": "lattice-passphrase-123",
            "plan": "free",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def test_pages_show_a_banner_until_verified(plans, client):
    page_sign_up(client)

    before = client.get("/dashboard/").content.decode()
    client.get(emailed_link(EMAIL, LINK))
    after = client.get("/dashboard/").content.decode()

    assert 'data-testid="email-unverified-banner"' in before
    assert "Resend the link" in before
    assert 'data-testid="email-unverified-banner"' not in after


def test_the_banners_resend_button_sends_a_link(plans, client):
    page_sign_up(client)

    response = client.post("/account/verify-email/resend/", {"next": "/team/"}, follow=True)

    assert response.redirect_chain[-1][0] == "/team/"
    assert f"We sent a new link to {EMAIL}" in response.content.decode()
    assert OutboxMessage.objects.filter(kind="email_verification", to_email=EMAIL).count() == 2


def test_the_team_page_refuses_an_invitation_until_verified(plans, client):
    page_sign_up(client)

    response = client.post("/team/", {"email": "peter@initech.example", "role": "member"})

    assert response.status_code == 403
    assert "Confirm your email address first" in response.content.decode()
    assert not OutboxMessage.objects.filter(kind="member_invitation").exists()
