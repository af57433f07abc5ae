"""Changing the login email: `POST /api/users/me/email` sends a link to the new address
and a notice to the current one; the email changes only when the link is followed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.models import User
from notifications.models import OutboxMessage
from tenants.models import AuditEvent
from tests.conftest import PASSWORD, emailed_link

pytestmark = pytest.mark.django_db

URL = "/api/users/me/email"
LINK = "/account/email/confirm/"


def ask(client, email="m2@acme.example", password=PASSWORD):
    return client.post(URL, {"email": email, "password": password}, format="json")


def confirm(anon, email="m2@acme.example"):
    token = emailed_link(email, LINK).removeprefix(LINK).rstrip("/")
    return anon.post("/api/auth/email-change/confirm", {"token": token}, format="json")


def test_asking_sends_a_link_to_the_new_address_and_a_notice_to_the_old(cast, client_for, login):
    response = ask(client_for(cast.member), "M2@Acme.example")

    assert response.status_code == 202
    assert User.objects.get(pk=cast.member.user_id).email == "member@acme.example"
    confirmation = OutboxMessage.objects.get(kind="email_change_confirmation")
    notice = OutboxMessage.objects.get(kind="email_change_notice")
    assert confirmation.to_email == "m2@acme.example"
    assert notice.to_email == "member@acme.example"
    assert "m2@acme.example" in notice.text_body
    assert LINK not in notice.text_body  # the old address cannot make the change
    assert login("member@acme.example").status_code == 200
    assert login("m2@acme.example").status_code == 401


def test_following_the_link_changes_the_login(cast, client_for, login, anon):
    ask(client_for(cast.member))

    response = confirm(anon)

    assert response.status_code == 200
    assert response.json()["email"] == "m2@acme.example"
    assert response.json()["email_verified"] is True
    assert login("m2@acme.example").status_code == 200
    assert login("member@acme.example").status_code == 401
    event = AuditEvent.objects.get(action="account.email_changed")
    assert event.metadata["previous_email"] == "member@acme.example"


def test_the_link_page_changes_it_too_and_works_once(cast, client_for, client):
    ask(client_for(cast.member))
    path = emailed_link("m2@acme.example", LINK)

    first = client.get(path)
    again = client.get(path)

    assert first.status_code == 200
    assert "From now on you log in with m2@acme.example" in first.content.decode()
    assert again.status_code == 400
    assert User.objects.get(pk=cast.member.user_id).email == "m2@acme.example"


def test_it_needs_the_password(cast, client_for):
    response = ask(client_for(cast.member), password="not-it")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_credentials"
    assert response.json()["error"]["details"] == {
        "password": ["The current password is incorrect."]
    }
    assert not OutboxMessage.objects.filter(kind="email_change_confirmation").exists()


def test_an_address_in_use_is_refused(cast, client_for):
    response = ask(client_for(cast.member), "Viewer@acme.example")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"


def test_the_same_address_is_refused(cast, client_for):
    response = ask(client_for(cast.member), "member@acme.example")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "email_unchanged"


def test_an_address_taken_before_the_link_is_followed_is_refused(cast, client_for, anon):
    ask(client_for(cast.member))
    User.objects.create_user(email="m2@acme.example", password=PASSWORD)

    response = confirm(anon)

    assert response.status_code == 409
    assert User.objects.get(pk=cast.member.user_id).email == "member@acme.example"


def test_an_expired_link_changes_nothing(cast, client_for, anon, settings):
    ask(client_for(cast.member))
    settings.EMAIL_CHANGE_TTL = timedelta(seconds=-1)

    response = confirm(anon)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_link"
    assert User.objects.get(pk=cast.member.user_id).email == "member@acme.example"


def test_confirming_one_request_ends_the_others(cast, client_for, anon):
    client = client_for(cast.member)
    ask(client, "first@acme.example")
    ask(client, "second@acme.example")

    assert confirm(anon, "second@acme.example").status_code == 200
    assert confirm(anon, "first@acme.example").status_code == 400
    assert User.objects.get(pk=cast.member.user_id).email == "second@acme.example"


def test_asking_is_rate_limited(cast, client_for, settings):
    settings.RATELIMIT_VERIFY_EMAIL = "2/h"
    client = client_for(cast.member)

    answers = [ask(client, f"n{i}@acme.example").status_code for i in range(3)]

    assert answers == [202, 202, 429]
