"""Enqueue inside the caller's transaction; deliver only after it commits."""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction

from notifications import emails
from notifications.models import OutboxMessage, Suppression
from tests.conftest import make_member


class SignupFailed(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_a_committed_signup_sends_after_commit_and_a_rolled_back_one_sends_nothing(
    cast: Any,
) -> None:
    with transaction.atomic():
        message = emails.send_welcome(user=cast.owner.user, tenant=cast.tenant)
        # Still inside the transaction: stored, not yet sent.
        assert mail.outbox == []
    assert [m.to for m in mail.outbox] == [["owner@acme.example"]]
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert message.provider == "locmem"
    assert message.attempts == 1
    assert message.sent_at is not None

    mail.outbox.clear()
    with pytest.raises(SignupFailed), transaction.atomic():
        emails.send_welcome(user=cast.member.user, tenant=cast.tenant)
        raise SignupFailed

    assert mail.outbox == []
    assert not OutboxMessage.objects.filter(to_email="member@acme.example").exists()


def test_a_rolled_back_savepoint_drops_its_message_and_its_delivery(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        emails.send_welcome(user=cast.owner.user, tenant=cast.tenant)
        with pytest.raises(SignupFailed), transaction.atomic():
            emails.send_welcome(user=cast.member.user, tenant=cast.tenant)
            raise SignupFailed

    assert len(callbacks) == 1
    assert [m.to for m in mail.outbox] == [["owner@acme.example"]]
    assert list(OutboxMessage.objects.values_list("to_email", flat=True)) == ["owner@acme.example"]


def test_in_worker_mode_only_the_worker_sends(
    cast: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_DELIVERY_MODE = "worker"
    with django_capture_on_commit_callbacks(execute=True):
        message = emails.send_welcome(user=cast.owner.user, tenant=cast.tenant)

    assert mail.outbox == []
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.QUEUED

    output = io.StringIO()
    call_command("deliver_emails", "--once", stdout=output)

    # pytest-django's locmem backend keeps the message in memory: delivered to nobody.
    assert output.getvalue().strip().splitlines()[-1] == "not_delivered=1 retrying=0 failed=0"

    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert [m.subject for m in mail.outbox] == [message.subject]


def test_the_same_dedupe_key_never_makes_a_second_message(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = emails.send_payment_failed(
            tenant=cast.tenant, amount_cents=100, currency="usd", dedupe_key="evt_1:payment_failed"
        )
        again = emails.send_payment_failed(
            tenant=cast.tenant, amount_cents=100, currency="usd", dedupe_key="evt_1:payment_failed"
        )
        other_event = emails.send_payment_failed(
            tenant=cast.tenant, amount_cents=100, currency="usd", dedupe_key="evt_2:payment_failed"
        )

    assert [m.pk for m in again] == [m.pk for m in first]
    assert {m.pk for m in other_event}.isdisjoint({m.pk for m in first})
    assert OutboxMessage.objects.count() == 4  # 2 recipients × 2 events
    assert len(mail.outbox) == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_enqueues_with_one_dedupe_key_make_one_message(cast: Any, settings: Any) -> None:
    settings.EMAIL_DELIVERY_MODE = "worker"
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def enqueue() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                emails.send_trial_ending(tenant=cast.tenant, days_left=3, dedupe_key="evt_9:trial")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=enqueue) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(OutboxMessage.objects.values_list("to_email", flat=True)) == [
        "billing@acme-lattices.example",
        "owner@acme.example",
    ]


def test_a_suppressed_address_is_recorded_as_failed_with_the_reason(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    Suppression.objects.create(email="member@acme.example", reason="bounced", detail="550 no user")

    with django_capture_on_commit_callbacks(execute=True):
        message = emails.send_password_reset(user=cast.member.user, reset_url="/reset/x/")

    assert mail.outbox == []
    assert message.status == OutboxMessage.Status.FAILED
    assert "member@acme.example is suppressed (bounced" in message.last_error
    assert "550 no user" in message.last_error


def test_addresses_are_matched_case_insensitively(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    Suppression.objects.create(email="billing@acme-lattices.example", reason="complained")
    cast.tenant.billing_email = "Billing@ACME-Lattices.example"
    cast.tenant.save()

    with django_capture_on_commit_callbacks(execute=True):
        messages = emails.send_subscription_cancelled(tenant=cast.tenant)

    statuses = {m.to_email: m.status for m in messages}
    assert statuses == {"billing@acme-lattices.example": "failed", "owner@acme.example": "queued"}
    assert [m.to for m in mail.outbox] == [["owner@acme.example"]]


def test_inactive_owners_do_not_receive_billing_mail(cast: Any) -> None:
    cast.owner.is_active = False
    cast.owner.save()
    make_member(cast.tenant, "second-owner@acme.example", "owner")

    messages = emails.send_subscription_cancelled(tenant=cast.tenant)

    assert [m.to_email for m in messages] == [
        "billing@acme-lattices.example",
        "second-owner@acme.example",
    ]
