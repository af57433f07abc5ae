"""The account page: change password and email, each behind the current password."""

from __future__ import annotations

import pytest

from accounts.models import User
from tests.conftest import PASSWORD, emailed_link

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["owner", "viewer"])
def test_every_member_opens_their_account(cast, page_client, role):
    html = page_client(cast.by_role(role)).get("/account/").content.decode()

    assert f"{role}@acme.example" in html
    assert "Change password" in html and "Change email" in html
    assert "Acme Lattices" in html


def test_a_wrong_current_password_is_refused_at_its_field(cast, page_client):
    response = page_client(cast.member).post(
        "/account/",
        {
            "form": "password",
            "pw-current_password": "not-my-password",
            "pw-password1": "a-fresh-passphrase-11",
            "pw-password2": "a-fresh-passphrase-11",
        },
    )

    assert response.status_code == 400
    assert 'id="id_pw-current_password_error"' in response.content.decode()
    assert User.objects.get(pk=cast.member.user_id).check_password(PASSWORD)


def test_new_passwords_must_match_and_pass_the_validators(cast, page_client):
    response = page_client(cast.member).post(
        "/account/",
        {
            "form": "password",
            "pw-current_password": PASSWORD,
            "pw-password1": "password",
            "pw-password2": "password",
        },
    )

    html = response.content.decode()
    assert 'id="id_pw-password2_error"' in html
    assert "This password is too common." in html
    assert User.objects.get(pk=cast.member.user_id).check_password(PASSWORD)


def test_changing_email_needs_the_current_password(cast, page_client):
    response = page_client(cast.member).post(
        "/account/", {"form": "email", "em-email": "new@acme.example", "em-password": "nope"}
    )

    assert response.status_code == 400
    assert 'id="id_em-password_error"' in response.content.decode()
    assert User.objects.filter(email="member@acme.example").exists()


def test_the_account_page_needs_a_session(plans, browser_anon):
    assert browser_anon.get("/account/")["Location"] == "/login/?next=%2Faccount%2F"


def test_changing_the_password_keeps_this_session_and_sets_the_new_one(cast, page_client):
    client = page_client(cast.member)

    response = client.post(
        "/account/",
        {
            "form": "password",
            "pw-current_password": PASSWORD,
            "pw-password1": "a-fresh-passphrase-11",
            "pw-password2": "a-fresh-passphrase-11",
        },
    )

    assert response.status_code == 302
    assert User.objects.get(pk=cast.member.user_id).check_password("a-fresh-passphrase-11")
    assert client.get("/dashboard/").status_code == 200


def test_changing_the_email_waits_for_the_link_sent_to_the_new_address(cast, page_client):
    client = page_client(cast.member)

    response = client.post(
        "/account/", {"form": "email", "em-email": "New@Acme.example", "em-password": PASSWORD}
    )

    assert response.status_code == 302
    assert "new@acme.example" in client.get("/account/").content.decode()  # the notice
    assert User.objects.get(pk=cast.member.user_id).email == "member@acme.example"
    path = emailed_link("new@acme.example", "/account/email/confirm/")

    confirmed = client.get(path)

    assert confirmed.status_code == 200
    assert "From now on you log in with new@acme.example" in confirmed.content.decode()
    assert User.objects.get(pk=cast.member.user_id).email == "new@acme.example"


def test_an_email_in_use_is_refused_at_the_field(cast, page_client):

    response = page_client(cast.member).post(
        "/account/", {"form": "email", "em-email": "owner@acme.example", "em-password": PASSWORD}
    )

    assert response.status_code == 409
    assert 'id="id_em-email_error"' in response.content.decode()
    assert User.objects.get(pk=cast.member.user_id).email == "member@acme.example"
