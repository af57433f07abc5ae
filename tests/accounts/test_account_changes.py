"""Password changes (used by the account page) end the right sessions. Email changes go
through a confirmation link: tests/accounts/test_email_change.py."""

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
