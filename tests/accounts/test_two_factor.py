"""Two-factor sign-in through the API: enrolment, login with a code, recovery codes, off."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.api_keys import create_api_key
from notifications.models import OutboxMessage
from tenants.models import AuditEvent
from tests.conftest import PASSWORD, make_member
from tests.two_factor_helpers import code_for, enrol, error_code

pytestmark = pytest.mark.django_db

ME = "/api/users/me"
LOGIN = "/api/tenants/login"


def login(anon, email="member@acme.example", **extra):
    return anon.post(LOGIN, {"email": email, "password": PASSWORD, **extra}, format="json")


def two_factor_emails(email):
    return list(
        OutboxMessage.objects.filter(to_email=email, kind="two_factor").order_by("created_at")
    )


def test_me_says_whether_two_factor_is_on(cast, client_for):
    client = client_for(cast.member)
    before = client.get(ME)
    assert before.status_code == 200
    assert before.json() == {
        "id": str(cast.member.user.id),
        "email": "member@acme.example",
        "first_name": "Member",
        "last_name": "Tester",
        "email_verified": True,
        "two_factor": False,
    }

    enrol(client)

    assert client.get(ME).json()["two_factor"] is True


def test_enrolment_gives_a_secret_then_ten_recovery_codes_once(cast, client_for):
    client = client_for(cast.member)
    started = client.post("/api/users/me/two-factor")
    body = started.json()
    assert started.status_code == 200
    assert started["Cache-Control"] == "no-store"
    assert body["otpauth_url"].startswith("otpauth://totp/Catalytic%3Amember%40acme.example?")
    assert f"secret={body['secret']}" in body["otpauth_url"]
    assert client.get(ME).json()["two_factor"] is False  # pending until confirmed

    confirmed = client.post(
        "/api/users/me/two-factor/confirm", {"code": code_for(body["secret"])}, format="json"
    )

    codes = confirmed.json()["recovery_codes"]
    assert confirmed.status_code == 200
    assert len(codes) == 10 and len(set(codes)) == 10
    again = client.post("/api/users/me/two-factor/confirm", {"code": "123456"}, format="json")
    assert (again.status_code, error_code(again)) == (409, "two_factor_enabled")
    restart = client.post("/api/users/me/two-factor")
    assert (restart.status_code, error_code(restart)) == (409, "two_factor_enabled")
    assert AuditEvent.objects.filter(
        action="two_factor.enabled", tenant=cast.tenant, actor=cast.member.user
    ).exists()
    (email,) = two_factor_emails("member@acme.example")
    assert "Two-factor sign-in is on" in email.subject


def test_a_wrong_first_code_leaves_two_factor_off(cast, client_for):
    client = client_for(cast.member)
    secret = client.post("/api/users/me/two-factor").json()["secret"]
    wrong = "000000" if code_for(secret) != "000000" else "111111"

    response = client.post("/api/users/me/two-factor/confirm", {"code": wrong}, format="json")

    assert (response.status_code, error_code(response)) == (400, "otp_invalid")
    assert client.get(ME).json()["two_factor"] is False
    assert two_factor_emails("member@acme.example") == []


def test_confirming_without_starting_is_a_conflict(cast, client_for):
    response = client_for(cast.member).post(
        "/api/users/me/two-factor/confirm", {"code": "123456"}, format="json"
    )
    assert (response.status_code, error_code(response)) == (409, "no_pending_enrolment")


def test_login_asks_for_the_code_and_takes_each_totp_code_once(cast, client_for, anon):
    secret, _ = enrol(client_for(cast.member))

    missing = login(anon)
    assert (missing.status_code, error_code(missing)) == (401, "otp_required")
    assert "access_token" not in missing.json()

    fresh = code_for(secret, 1)
    ok = login(anon, otp_code=fresh)
    assert ok.status_code == 200
    assert set(ok.json()) == {
        "access_token",
        "refresh_token",
        "token_type",
        "expires_in",
        "user",
        "tenant",
    }

    replayed = login(anon, otp_code=fresh)
    assert (replayed.status_code, error_code(replayed)) == (401, "otp_invalid")


def test_a_wrong_code_is_a_failed_login(cast, client_for, anon):
    secret, _ = enrol(client_for(cast.member))
    wrong = "000000" if code_for(secret, 1) != "000000" else "111111"

    response = login(anon, otp_code=wrong)

    assert (response.status_code, error_code(response)) == (401, "otp_invalid")
    event = AuditEvent.objects.get(action="login.failed", tenant=cast.tenant)
    assert event.metadata["reason"] == "otp_invalid"


def test_wrong_codes_count_against_the_login_limits(cast, client_for, anon, settings):
    enrol(client_for(cast.member))
    settings.RATELIMIT_LOGIN = "3/m"

    answers = [login(anon, otp_code=f"guess-{n}").status_code for n in range(4)]

    assert answers == [401, 401, 401, 429]


def test_a_recovery_code_signs_in_once_and_is_announced(cast, client_for, anon):
    _, codes = enrol(client_for(cast.member))

    first = login(anon, otp_code=codes[3].upper())
    again = login(anon, otp_code=codes[3])

    assert first.status_code == 200
    assert (again.status_code, error_code(again)) == (401, "otp_invalid")
    event = AuditEvent.objects.get(action="two_factor.recovery_code_used", tenant=cast.tenant)
    assert event.metadata["left"] == 9
    used = two_factor_emails("member@acme.example")[-1]
    assert "recovery code was used" in used.subject
    assert "9 recovery codes left" in used.text_body


def test_people_without_two_factor_log_in_as_before(cast, anon):
    ok = login(anon, otp_code="")
    assert ok.status_code == 200
    wrong = anon.post(LOGIN, {"email": "member@acme.example", "password": "nope"}, format="json")
    assert (wrong.status_code, error_code(wrong)) == (401, "invalid_credentials")


def test_the_password_is_checked_before_the_code(cast, client_for, anon):
    enrol(client_for(cast.member))
    response = anon.post(
        LOGIN, {"email": "member@acme.example", "password": "nope", "otp_code": "1"}, format="json"
    )
    assert (response.status_code, error_code(response)) == (401, "invalid_credentials")


def test_new_recovery_codes_replace_the_old_ones(cast, client_for, anon):
    client = client_for(cast.member)
    secret, old = enrol(client)

    response = client.post(
        "/api/users/me/two-factor/recovery-codes", {"code": code_for(secret, 1)}, format="json"
    )

    new = response.json()["recovery_codes"]
    assert response.status_code == 200 and len(new) == 10
    assert login(anon, otp_code=new[0]).status_code == 200
    # (In this order: after a wrong code django-otp makes the device wait a second.)
    assert error_code(login(anon, otp_code=old[0])) == "otp_invalid"
    assert AuditEvent.objects.filter(action="two_factor.recovery_codes_regenerated").exists()


def test_new_recovery_codes_need_a_right_code(cast, client_for):
    client = client_for(cast.member)
    enrol(client)
    response = client.post(
        "/api/users/me/two-factor/recovery-codes", {"code": "nope"}, format="json"
    )
    assert (response.status_code, error_code(response)) == (400, "otp_invalid")


def test_turning_it_off_needs_the_password_and_a_code(cast, client_for, anon):
    client = client_for(cast.member)
    secret, _ = enrol(client)

    wrong_password = client.delete(
        "/api/users/me/two-factor",
        {"password": "nope", "code": code_for(secret, 1)},
        format="json",
    )
    wrong_code = client.delete(
        "/api/users/me/two-factor", {"password": PASSWORD, "code": "nope"}, format="json"
    )
    assert (wrong_password.status_code, error_code(wrong_password)) == (400, "invalid_credentials")
    assert (wrong_code.status_code, error_code(wrong_code)) == (400, "otp_invalid")
    assert client.get(ME).json()["two_factor"] is True


def test_turning_it_off_with_a_code(cast, client_for, anon):
    client = client_for(cast.member)
    secret, _ = enrol(client)

    response = client.delete(
        "/api/users/me/two-factor",
        {"password": PASSWORD, "code": code_for(secret, 1)},
        format="json",
    )

    assert response.status_code == 204
    assert client.get(ME).json()["two_factor"] is False
    assert login(anon).status_code == 200
    assert AuditEvent.objects.filter(action="two_factor.disabled", tenant=cast.tenant).exists()
    assert "turned off" in two_factor_emails("member@acme.example")[-1].subject
    again = client.delete(
        "/api/users/me/two-factor", {"password": PASSWORD, "code": "123456"}, format="json"
    )
    assert (again.status_code, error_code(again)) == (409, "two_factor_disabled")


def test_an_api_key_is_not_a_person(cast, anon):
    key = create_api_key(tenant=cast.tenant, actor=cast.owner.user, name="ci", scope="write")
    anon.credentials(HTTP_X_API_KEY=key.key)
    for method, path in [("get", ME), ("post", "/api/users/me/two-factor")]:
        response = getattr(anon, method)(path)
        assert (response.status_code, error_code(response)) == (403, "not_a_session")


def test_a_staff_members_device_is_the_one_the_admin_asks_for(cast, client_for, settings):
    settings.ADMIN_OTP_REQUIRED = True
    user = cast.member.user
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    secret, _ = enrol(client_for(cast.member))
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    admin = Client()
    form = {"username": user.email, "password": PASSWORD, "otp_device": device.persistent_id}

    without = admin.post("/admin/login/?next=/admin/", {**form, "otp_token": ""})
    assert without.status_code == 200  # the form again: a code is required
    signed_in = admin.post("/admin/login/?next=/admin/", {**form, "otp_token": code_for(secret, 1)})
    assert signed_in.status_code == 302
    assert admin.get("/admin/").status_code == 200


def test_a_wrong_authenticator_code_does_not_hold_up_a_recovery_code(cast, client_for, anon):
    secret, codes = enrol(client_for(cast.member))
    wrong = "000000" if code_for(secret, 1) != "000000" else "111111"

    assert error_code(login(anon, otp_code=wrong)) == "otp_invalid"
    assert login(anon, otp_code=codes[0]).status_code == 200


def test_a_person_in_several_workspaces_gives_the_code_before_choosing(cast, client_for, anon):
    make_member(cast.other_tenant, "member@acme.example", "viewer")
    secret, codes = enrol(client_for(cast.member))

    assert error_code(login(anon)) == "otp_required"
    # The code is checked (and spent) first: nothing about the account is told before it.
    assert error_code(login(anon, otp_code=code_for(secret, 1))) == "tenant_required"
    chosen = login(anon, otp_code=codes[0], tenant="globex-grids")
    assert chosen.status_code == 200
    assert chosen.json()["tenant"]["slug"] == "globex-grids"


def test_the_right_code_just_after_a_wrong_one_says_how_long_to_wait(cast, client_for, anon):
    secret, _ = enrol(client_for(cast.member))
    wrong = "000000" if code_for(secret, 1) != "000000" else "111111"
    assert error_code(login(anon, otp_code=wrong)) == "otp_invalid"

    response = login(anon, otp_code=code_for(secret, 1))

    assert (response.status_code, error_code(response)) == (429, "otp_throttled")
    assert int(response["Retry-After"]) >= 1
    assert response.json()["error"]["details"]["retry_after"] == int(response["Retry-After"])
