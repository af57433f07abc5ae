"""Passwords are stored with Argon2id at OWASP's parameters; older hashes keep working
and are upgraded when their owner signs in."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, identify_hasher
from django.test import override_settings

from accounts.models import User
from catalytic import settings as project_settings
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

# The project's hashers (the test suite swaps in a fast one for everything else).
PROJECT_HASHERS = override_settings(PASSWORD_HASHERS=project_settings.PASSWORD_HASHERS)


def login(anon, email: str, password: str = PASSWORD):
    return anon.post("/api/tenants/login", {"email": email, "password": password}, format="json")


@PROJECT_HASHERS
def test_a_new_password_is_stored_as_argon2id_with_owasps_parameters(cast):
    user = User.objects.get(email="owner@acme.example")
    user.set_password("A-brand-new-passphrase-77")
    user.save()

    algorithm, variant, version, params, *_ = user.password.split("$")
    assert (algorithm, variant) == ("argon2", "argon2id")
    assert dict(p.split("=") for p in params.split(",")) == {"m": "19456", "t": "2", "p": "1"}


@PROJECT_HASHERS
def test_a_pbkdf2_password_still_signs_in_and_is_upgraded(cast, anon):
    user = User.objects.get(email="member@acme.example")
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "somesalt123", iterations=1000)
    user.save()

    assert login(anon, "member@acme.example", "wrong-password").status_code == 401
    assert identify_hasher(User.objects.get(pk=user.pk).password).algorithm == "pbkdf2_sha256"

    assert login(anon, "member@acme.example").status_code == 200
    assert identify_hasher(User.objects.get(pk=user.pk).password).algorithm == "argon2"
