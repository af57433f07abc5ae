"""The accounts flows send their emails: welcome on sign-up, invitation, password reset."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

from django.core import mail
from django.core.management import call_command

from notifications.models import OutboxMessage

SITE = "https://app.catalytic.example"
Status = OutboxMessage.Status


def link_in(body: str, path_prefix: str) -> str:
    match = re.search(rf"{re.escape(SITE)}{re.escape(path_prefix)}\S+", body)
    assert match, body
    return match.group(0)


def test_sign_up_queues_and_delivers_the_welcome_email(
    anon: Any, plans: Any, django_capture_on_commit_callbacks: Any
) -> None:
    payload = {
        "company_name": "Initech Grids",
        "email": "Peter@Initech.example",
        "password": "a-long-and-unusual-passphrase-42",
        "first_name": "Peter",
        "last_name": "Gibbons",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = anon.post("/api/tenants/register", payload, format="json")

    assert response.status_code == 201, response.content
    message = OutboxMessage.objects.get(kind="welcome")
    assert message.to_email == "peter@initech.example"
    assert message.tenant.name == "Initech Grids"
    assert message.status == Status.SENT
    # The welcome, then the link that confirms the address (tests/accounts/
    # test_email_verification.py follows it).
    by_subject = {message.subject: message for message in mail.outbox}
    assert set(by_subject) == {
        "Welcome to Catalytic, Initech Grids is ready",
        "Confirm your email address for Catalytic",
    }
    sent = by_subject["Welcome to Catalytic, Initech Grids is ready"]
    assert by_subject["Confirm your email address for Catalytic"].to == ["peter@initech.example"]
    assert sent.to == ["peter@initech.example"]
    assert f"{SITE}/dashboard/" in sent.body
    assert f'href="{SITE}/dashboard/"' in sent.alternatives[0][0]


def test_a_refused_sign_up_sends_nothing(
    anon: Any, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    payload = {
        "company_name": "Second Acme",
        "email": "owner@acme.example",  # taken
        "password": "a-long-and-unusual-passphrase-42",
        "first_name": "O",
        "last_name": "T",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = anon.post("/api/tenants/register", payload, format="json")

    assert response.status_code == 409
    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []


def test_inviting_a_new_address_sends_an_invitation_with_an_absolute_accept_link(
    cast: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.admin).post(
            "/api/tenants/members",
            {"email": "newcomer@acme.example", "role": "member"},
            format="json",
        )

    assert response.status_code == 201, response.content
    assert response.json()["result"] == "invited"
    message = OutboxMessage.objects.get(kind="member_invitation")
    assert (message.to_email, message.tenant_id, message.status) == (
        "newcomer@acme.example",
        cast.tenant.pk,
        Status.SENT,
    )
    [sent] = mail.outbox
    assert sent.subject == "Admin Tester invited you to Acme Lattices on Catalytic"
    accept = link_in(sent.body, "/invitations/accept/")
    assert f'href="{accept}"' in sent.alternatives[0][0]
    # The token lived in the outbox only until the email left.
    assert accept not in message.text_body


def test_password_reset_sends_an_absolute_link_and_unknown_emails_send_nothing(
    anon: Any, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        known = anon.post(
            "/api/auth/password-reset", {"email": "member@acme.example"}, format="json"
        )
        unknown = anon.post(
            "/api/auth/password-reset", {"email": "nobody@acme.example"}, format="json"
        )

    assert known.status_code == unknown.status_code == 202
    message = OutboxMessage.objects.get()
    assert (message.kind, message.to_email, message.tenant_id) == (
        "password_reset",
        "member@acme.example",
        None,
    )
    assert message.status == Status.SENT
    [sent] = mail.outbox
    link = link_in(sent.body, "/password-reset/")
    assert f'href="{link}"' in sent.alternatives[0][0]


def test_in_worker_mode_the_flows_leave_messages_queued_for_the_worker(
    anon: Any, cast: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_DELIVERY_MODE = "worker"
    with django_capture_on_commit_callbacks(execute=True):
        anon.post("/api/auth/password-reset", {"email": "member@acme.example"}, format="json")
    # The request only recorded the reset: the worker decides, then queues the link.
    assert not OutboxMessage.objects.exists()
    call_command("deliver_emails", "--once", stdout=StringIO())

    assert OutboxMessage.objects.get().status == Status.SENT
    assert len(mail.outbox) == 1
