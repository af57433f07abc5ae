"""The outbox and suppression list in the Django admin."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from notifications import emails
from notifications.models import OutboxMessage, Suppression

CHANGELIST = "admin:notifications_outboxmessage_changelist"


@pytest.fixture
def staff(db: Any) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser(email="staff@catalytic.example"))
    return client


def message(cast: Any, **fields: Any) -> OutboxMessage:
    defaults = {
        "tenant": cast.tenant,
        "kind": "welcome",
        "to_email": "member@acme.example",
        "subject": "Welcome aboard",
        "text_body": "t",
        "status": "failed",
        "attempts": 8,
        "last_error": "smtp: ConnectionRefusedError",
    }
    return OutboxMessage.objects.create(**{**defaults, **fields})


def test_the_outbox_lists_and_filters_by_status_kind_and_tenant(staff: Client, cast: Any) -> None:
    message(cast)
    message(cast, to_email="owner@acme.example", status="sent", kind="notice")
    message(cast, tenant=cast.other_tenant, to_email="owner@globex.example")
    url = reverse(CHANGELIST)

    everything = staff.get(url)
    failed_welcome = staff.get(url, {"status__exact": "failed", "kind__exact": "welcome"})
    tenant_b = staff.get(url, {"tenant__id__exact": str(cast.other_tenant.pk)})
    searched = staff.get(url, {"q": "owner@acme"})

    assert everything.status_code == 200
    assert everything.context["cl"].result_count == 3
    assert {m.to_email for m in failed_welcome.context["cl"].result_list} == {
        "member@acme.example",
        "owner@globex.example",
    }
    assert [m.to_email for m in tenant_b.context["cl"].result_list] == ["owner@globex.example"]
    assert [m.to_email for m in searched.context["cl"].result_list] == ["owner@acme.example"]
    assert b"smtp: ConnectionRefusedError" in everything.content


def test_resend_requeues_and_delivers_but_skips_suppressed_addresses(
    staff: Client, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    retry = message(cast)
    bounced = message(cast, to_email="gone@acme.example", status="bounced")
    Suppression.objects.create(email="gone@acme.example", reason="bounced")

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse(CHANGELIST),
            {"action": "resend", "_selected_action": [str(retry.pk), str(bounced.pk)]},
            follow=True,
        )

    assert response.status_code == 200
    retry.refresh_from_db()
    bounced.refresh_from_db()
    assert retry.status == "sent" and retry.attempts == 1 and retry.last_error == ""
    assert bounced.status == "bounced"
    assert [m.to for m in mail.outbox] == [["member@acme.example"]]
    notices = [str(m) for m in response.context["messages"]]
    assert "1 message(s) queued again." in notices
    assert any("gone@acme.example" in n for n in notices)


def test_resend_refuses_messages_whose_single_use_link_was_removed(
    staff: Client, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        reset = emails.send_password_reset(user=cast.member.user, reset_url="/password-reset/u/t/")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse(CHANGELIST),
            {"action": "resend", "_selected_action": [str(reset.pk)]},
            follow=True,
        )

    assert mail.outbox == []
    notices = " ".join(str(m) for m in response.context["messages"])
    assert "request a new one" in notices and "member@acme.example" in notices


def test_a_message_page_shows_why_it_failed(staff: Client, cast: Any) -> None:
    failed = message(cast, last_error="Not sent: member@acme.example is suppressed (bounced)")

    response = staff.get(reverse("admin:notifications_outboxmessage_change", args=[failed.pk]))

    assert response.status_code == 200
    assert b"is suppressed (bounced)" in response.content


def test_the_suppression_list_is_shown_and_searchable(staff: Client, cast: Any) -> None:
    Suppression.objects.create(email="gone@acme.example", reason="bounced", detail="550 unknown")
    Suppression.objects.create(email="angry@acme.example", reason="complained")
    url = reverse("admin:notifications_suppression_changelist")

    everything = staff.get(url)
    complaints = staff.get(url, {"reason__exact": "complained"})

    assert everything.status_code == 200
    assert b"gone@acme.example" in everything.content and b"550 unknown" in everything.content
    assert [s.email for s in complaints.context["cl"].result_list] == ["angry@acme.example"]


def test_staff_can_lift_a_suppression(staff: Client, cast: Any) -> None:
    suppression = Suppression.objects.create(email="member@acme.example", reason="bounced")

    response = staff.post(
        reverse("admin:notifications_suppression_delete", args=[suppression.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Suppression.objects.exists()


def test_non_staff_cannot_see_the_outbox(cast: Any) -> None:
    client = Client()
    client.force_login(cast.owner.user)

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 302
    assert "/login/" in response["Location"]
