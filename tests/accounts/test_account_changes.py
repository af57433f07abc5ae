"""Password and email changes (used by the account page) end the right sessions."""

from __future__ import annotations

import pytest

from accounts import services
from accounts.models import User
from catalytic.errors import ServiceError
from tenants.models import AuditEvent
from tests.accounts.conftest import bearer
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-lattice-passphrase-8"


def test_changing_the_password_needs_the_current_one(cast):
    with pytest.raises(ServiceError) as caught:
        services.change_password(
            user=cast.member.user, current_password="wrong", new_password=NEW_PASSWORD
        )
    assert caught.value.code == "invalid_credentials"
    assert "current_password" in caught.value.details
    assert User.objects.get(pk=cast.member.user_id).check_password(PASSWORD)


def test_the_new_password_must_pass_the_validators(cast):
    with pytest.raises(ServiceError) as caught:
        services.change_password(
            user=cast.member.user, current_password=PASSWORD, new_password="1234"
        )
    assert caught.value.details["new_password"]


def test_a_changed_password_ends_every_token_of_the_user(cast, login, anon):
    tokens = login("member@acme.example").json()
    services.change_password(
        user=cast.member.user, current_password=PASSWORD, new_password=NEW_PASSWORD
    )
    assert bearer(tokens["access_token"]).get("/api/tenants/current").status_code == 401
    refresh = anon.post(
        "/api/tenants/refresh", {"refresh_token": tokens["refresh_token"]}, format="json"
    )
    assert refresh.status_code == 401
    assert login("member@acme.example", NEW_PASSWORD).status_code == 200
    assert AuditEvent.objects.filter(action="password.changed", tenant=cast.tenant).exists()


def test_changing_the_email_needs_the_password_and_a_free_address(cast, login):
    user = cast.member.user
    with pytest.raises(ServiceError) as wrong:
        services.change_email(user=user, password="wrong", new_email="m2@acme.example")
    assert wrong.value.code == "invalid_credentials"
    with pytest.raises(ServiceError) as taken:
        services.change_email(user=user, password=PASSWORD, new_email="Viewer@acme.example")
    assert (taken.value.status, taken.value.code) == (409, "email_taken")

    services.change_email(user=user, password=PASSWORD, new_email="M2@Acme.example")
    assert User.objects.get(pk=user.pk).email == "m2@acme.example"
    assert login("m2@acme.example").status_code == 200
    assert login("member@acme.example").status_code == 401
    event = AuditEvent.objects.get(action="account.email_changed")
    assert event.metadata["previous_email"] == "member@acme.example"
