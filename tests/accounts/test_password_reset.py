from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import PasswordResetRequest, User
from notifications.models import OutboxMessage
from notifications.password_resets import answer_reset_requests
from tenants.models import AuditEvent
from tests.accounts.conftest import bearer

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-lattice-passphrase-7"


def request_reset(anon, email: str):
    response = anon.post("/api/auth/password-reset", {"email": email}, format="json")
    answer_reset_requests()  # what the email worker does next
    return response


def reset_link(email: str) -> tuple[str, str]:
    message = OutboxMessage.objects.get(kind="password_reset", to_email=email)
    match = re.search(
        r"https://app\.catalytic\.example/password-reset/([\w-]+)/([\w-]+)/", message.text_body
    )
    assert match, message.text_body
    return match.group(1), match.group(2)


def test_it_answers_202_and_queues_the_email_only_for_a_real_account(cast, anon):
    known = request_reset(anon, "Member@Acme.example")
    unknown = request_reset(anon, "nobody@acme.example")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert list(OutboxMessage.objects.values_list("kind", "to_email")) == [
        ("password_reset", "member@acme.example")
    ]
    assert AuditEvent.objects.filter(
        action="password.reset_requested", tenant=cast.tenant, actor=cast.member.user
    ).exists()


def test_the_answer_does_the_same_work_for_a_real_and_an_unknown_address(cast, anon):
    # SECURITY: the timing of the answer must not tell whether an account exists, so
    # the request runs the same statements, and the worker decides later.
    def work(email: str) -> tuple[int, list[str]]:
        with CaptureQueriesContext(connection) as queries:
            response = anon.post("/api/auth/password-reset", {"email": email}, format="json")
        statements = [" ".join(q["sql"].split()[:3]) for q in queries.captured_queries]
        return response.status_code, statements

    real, unknown = work("member@acme.example"), work("nobody@acme.example")
    assert real == unknown
    assert real[0] == 202 and all("accounts_user" not in s for s in real[1])
    assert not OutboxMessage.objects.exists()
    assert PasswordResetRequest.objects.count() == 2

    assert answer_reset_requests() == 2
    assert list(OutboxMessage.objects.values_list("to_email", flat=True)) == ["member@acme.example"]
    assert not PasswordResetRequest.objects.exists()


def test_with_inline_delivery_the_link_goes_out_without_a_worker(
    cast, anon, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_DELIVERY_MODE = "inline"
    with django_capture_on_commit_callbacks(execute=True):
        anon.post("/api/auth/password-reset", {"email": "member@acme.example"}, format="json")
    assert OutboxMessage.objects.filter(to_email="member@acme.example").exists()


def test_a_deactivated_account_gets_no_email(cast, anon):
    User.objects.filter(pk=cast.member.user_id).update(is_active=False)
    assert request_reset(anon, "member@acme.example").status_code == 202
    assert not OutboxMessage.objects.exists()


def test_the_link_sets_a_new_password_and_ends_every_session(cast, anon, login):
    session = login("member@acme.example").json()
    request_reset(anon, "member@acme.example")
    uid, token = reset_link("member@acme.example")

    response = anon.post(
        "/api/auth/password-reset/confirm",
        {"uid": uid, "token": token, "new_password": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 204
    assert bearer(session["access_token"]).get("/api/tenants/current").status_code == 401
    refreshed = anon.post(
        "/api/tenants/refresh", {"refresh_token": session["refresh_token"]}, format="json"
    )
    assert refreshed.status_code == 401
    assert login("member@acme.example").status_code == 401
    fresh = login("member@acme.example", NEW_PASSWORD)
    assert fresh.status_code == 200
    assert bearer(fresh.json()["access_token"]).get("/api/tenants/current").status_code == 200
    assert AuditEvent.objects.filter(action="password.reset", actor=cast.member.user).exists()

    # The link is single-use: the password it was made for has changed.
    again = anon.post(
        "/api/auth/password-reset/confirm",
        {"uid": uid, "token": token, "new_password": "yet-another-passphrase-99"},
        format="json",
    )
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_reset_token"


@pytest.mark.parametrize(
    "uid, token",
    [("bm9wZQ", "abc-123"), ("!!!", "x"), ("", "")],
)
def test_a_bad_link_is_a_clear_400(cast, anon, uid, token):
    response = anon.post(
        "/api/auth/password-reset/confirm",
        {"uid": uid, "token": token, "new_password": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] in ("invalid_reset_token", "validation_error")


def test_the_new_password_must_pass_the_validators(cast, anon):
    request_reset(anon, "member@acme.example")
    uid, token = reset_link("member@acme.example")
    response = anon.post(
        "/api/auth/password-reset/confirm",
        {"uid": uid, "token": token, "new_password": "123"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"]["new_password"]


def test_reset_requests_are_rate_limited_per_email(cast, anon, settings):
    settings.RATELIMIT_PASSWORD_RESET = "2/m"
    for _ in range(2):
        assert request_reset(anon, "member@acme.example").status_code == 202
    response = request_reset(anon, "MEMBER@acme.example")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1
    assert OutboxMessage.objects.count() == 2
