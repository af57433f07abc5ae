"""Staff sign-in: the API's login limits apply to the admin, and a TOTP code where required."""

from __future__ import annotations

from io import StringIO
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User

pytestmark = pytest.mark.django_db

EMAIL = "staff@catalytic.example"
PASSWORD = "staff-password-42-long"
LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def staff(settings) -> User:
    settings.RATELIMIT_LOGIN = "10/m"
    return User.objects.create_superuser(email=EMAIL, password=PASSWORD)


def sign_in(client: Client, password: str = PASSWORD, **extra: str):
    return client.post(LOGIN, {"username": EMAIL, "password": password, **extra})


def test_the_admin_locks_out_a_password_guesser_even_with_the_right_password(staff, settings):
    settings.ADMIN_OTP_REQUIRED = False
    client = Client()
    answers = [sign_in(client, f"guess-{n}").status_code for n in range(12)]
    assert answers[:10] == [200] * 10  # the form again, with its error
    assert answers[10:] == [429, 429]

    locked = sign_in(client)
    assert locked.status_code == 429
    assert 1 <= int(locked["Retry-After"]) <= 60
    assert b"Too many sign-in attempts" in locked.content
    assert client.get("/admin/").status_code == 302  # still signed out


def test_api_login_failures_count_against_the_admin_login_of_the_same_account(staff, settings):
    settings.ADMIN_OTP_REQUIRED = False
    api = Client()
    for n in range(10):
        api.post(
            "/api/tenants/login",
            {"email": EMAIL, "password": f"guess-{n}"},
            content_type="application/json",
            REMOTE_ADDR="10.0.0.1",
        )
    # Another address, same account: the per-account counter is shared.
    response = Client(REMOTE_ADDR="10.0.0.2").post(
        LOGIN, {"username": EMAIL, "password": PASSWORD}, REMOTE_ADDR="10.0.0.2"
    )
    assert response.status_code == 429


def test_without_a_required_code_the_password_is_enough_in_development(staff, settings):
    settings.ADMIN_OTP_REQUIRED = False
    client = Client()
    assert sign_in(client).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_required_code_keeps_out_a_staff_member_who_only_knows_the_password(staff, settings):
    settings.ADMIN_OTP_REQUIRED = True
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client = Client()
    response = sign_in(client)
    assert response.status_code == 200  # the form again
    assert client.get("/admin/").status_code == 302


def test_a_required_code_lets_in_whoever_gives_it(staff, settings):
    settings.ADMIN_OTP_REQUIRED = True
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client = Client()
    code = str(totp(device.bin_key, step=device.step, digits=device.digits)).zfill(device.digits)
    response = sign_in(client, otp_device=device.persistent_id, otp_token=code)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def current_code(device: TOTPDevice) -> str:
    return str(totp(device.bin_key, step=device.step, digits=device.digits)).zfill(device.digits)


def test_a_staff_member_with_one_device_signs_in_in_one_step(staff, settings):
    settings.ADMIN_OTP_REQUIRED = True
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client = Client()

    # Email, password and code in the first form, as the login page shows it.
    response = sign_in(client, otp_token=current_code(device))

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_one_device_still_needs_the_right_code(staff, settings):
    settings.ADMIN_OTP_REQUIRED = True
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    wrong = str((int(current_code(device)) + 1) % 10**device.digits).zfill(device.digits)
    client = Client()

    assert sign_in(client, otp_token=wrong).status_code == 200
    assert client.get("/admin/").status_code == 302


def test_with_several_devices_the_staff_member_names_the_one_used(staff, settings):
    settings.ADMIN_OTP_REQUIRED = True
    phone = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    TOTPDevice.objects.create(user=staff, name="tablet", confirmed=True)
    client = Client()

    first = sign_in(client, otp_token=current_code(phone))
    assert first.status_code == 200  # which device? (none is tried blindly)
    assert b"tablet" in first.content
    chosen = sign_in(client, otp_device=phone.persistent_id, otp_token=current_code(phone))
    assert chosen.status_code == 302


def test_a_password_only_session_is_not_enough_once_codes_are_required(staff, settings):
    settings.ADMIN_OTP_REQUIRED = False
    client = Client()
    sign_in(client)
    settings.ADMIN_OTP_REQUIRED = True
    assert client.get("/admin/").status_code == 302


def test_enroll_totp_gives_a_staff_account_a_working_device(staff, settings):
    settings.ADMIN_OTP_REQUIRED = True
    out = StringIO()
    call_command("enroll_totp", EMAIL, stdout=out)
    url = next(line for line in out.getvalue().splitlines() if line.startswith("otpauth://"))
    assert parse_qs(urlparse(url).query)["issuer"] == ["Catalytic"]
    device = TOTPDevice.objects.get(user=staff)
    client = Client()
    code = str(totp(device.bin_key, step=device.step, digits=device.digits)).zfill(device.digits)
    assert sign_in(client, otp_device=device.persistent_id, otp_token=code).status_code == 302


def test_enroll_totp_refuses_an_account_that_is_not_staff(cast):
    with pytest.raises(Exception, match="not staff"):
        call_command("enroll_totp", "member@acme.example", stdout=StringIO())
