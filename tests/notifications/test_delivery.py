"""Provider failover, retries with backoff, the retry limit, and the worker command."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from notifications import emails
from notifications.delivery import LEASE, deliver_due, deliver_message
from notifications.models import OutboxMessage
from tests.notifications.conftest import BROKEN, LOCMEM

Status = OutboxMessage.Status


@pytest.fixture
def queued(cast: Any, settings: Any) -> OutboxMessage:
    """A welcome message stored in worker mode, so nothing has tried to send it yet."""
    settings.EMAIL_DELIVERY_MODE = "worker"
    return emails.send_welcome(user=cast.owner.user, tenant=cast.tenant)


def make_due(message: OutboxMessage) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())


def test_a_failing_provider_fails_over_to_the_next(queued: OutboxMessage, chain: Any) -> None:
    chain(BROKEN, LOCMEM)

    stats = deliver_due()

    queued.refresh_from_db()
    assert (stats.sent, stats.retrying, stats.failed) == (1, 0, 0)
    assert queued.status == Status.SENT
    assert queued.provider == "locmem"
    assert queued.attempts == 1
    assert queued.last_error == ""
    assert queued.provider_message_id.startswith("<") and "@catalytic.example>" in (
        queued.provider_message_id
    )
    [sent] = mail.outbox
    assert sent.to == ["owner@acme.example"]
    assert sent.extra_headers["Message-ID"] == queued.provider_message_id
    assert sent.subject == queued.subject
    assert sent.alternatives[0][1] == "text/html"


def test_when_every_provider_fails_it_stays_queued_and_retries_within_30_seconds(
    queued: OutboxMessage, chain: Any
) -> None:
    chain(BROKEN)
    before = timezone.now()

    stats = deliver_due()

    queued.refresh_from_db()
    assert stats.retrying == 1
    assert queued.status == Status.QUEUED
    assert queued.attempts == 1
    assert "broken: ProviderDown: connection refused by provider" in queued.last_error
    delay = queued.next_attempt_at - before
    assert timedelta(seconds=20) <= delay <= timedelta(seconds=30)
    # Not due yet: a second pass does nothing.
    assert deliver_due().processed == 0
    assert mail.outbox == []


def test_retries_back_off_exponentially_and_then_succeed(
    queued: OutboxMessage, chain: Any, settings: Any
) -> None:
    settings.EMAIL_MAX_ATTEMPTS = 10
    chain(BROKEN)
    delays = []
    for _ in range(4):
        make_due(queued)
        started = timezone.now()
        deliver_due()
        queued.refresh_from_db()
        delays.append((queued.next_attempt_at - started).total_seconds())

    # 20 s, 40 s, 80 s, 160 s, each with at most 10% jitter.
    for delay, base in zip(delays, [20, 40, 80, 160], strict=True):
        assert base <= delay <= base * 1.1 + 1, delays

    chain(BROKEN, LOCMEM)
    make_due(queued)
    deliver_due()

    queued.refresh_from_db()
    assert queued.status == Status.SENT
    assert queued.attempts == 5
    assert queued.last_error == ""
    assert len(mail.outbox) == 1


def test_after_the_last_attempt_the_message_is_failed_and_left_alone(
    queued: OutboxMessage, chain: Any, settings: Any
) -> None:
    settings.EMAIL_MAX_ATTEMPTS = 3
    chain(BROKEN)
    for _ in range(3):
        make_due(queued)
        deliver_due()

    queued.refresh_from_db()
    assert queued.status == Status.FAILED
    assert queued.attempts == 3
    assert "ProviderDown" in queued.last_error

    chain(LOCMEM)
    make_due(queued)
    assert deliver_due().processed == 0
    assert mail.outbox == []


def test_the_backoff_is_capped(queued: OutboxMessage, chain: Any, settings: Any) -> None:
    settings.EMAIL_MAX_ATTEMPTS = 20
    settings.EMAIL_RETRY_MAX_SECONDS = 300
    OutboxMessage.objects.filter(pk=queued.pk).update(attempts=12)
    chain(BROKEN)
    started = timezone.now()

    deliver_due()

    queued.refresh_from_db()
    assert 300 <= (queued.next_attempt_at - started).total_seconds() <= 331


def test_the_immediate_attempt_after_commit_failing_leaves_it_for_the_worker(
    cast: Any, chain: Any, django_capture_on_commit_callbacks: Any
) -> None:
    chain(BROKEN)
    with django_capture_on_commit_callbacks(execute=True):
        message = emails.send_welcome(user=cast.owner.user, tenant=cast.tenant)

    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert message.attempts == 1

    chain(LOCMEM)
    make_due(message)
    output = io.StringIO()
    call_command("deliver_emails", "--once", stdout=output)

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert "not_delivered=1" in output.getvalue()  # locmem: kept in memory, not delivered


def test_a_message_already_claimed_is_not_sent_again(queued: OutboxMessage, chain: Any) -> None:
    chain(LOCMEM)
    OutboxMessage.objects.filter(pk=queued.pk).update(
        status=Status.SENDING, next_attempt_at=timezone.now() + LEASE
    )

    assert deliver_message(queued.pk) is None
    assert deliver_due().processed == 0
    assert mail.outbox == []


def test_a_message_stranded_by_a_dead_worker_is_sent_after_its_lease(
    queued: OutboxMessage, chain: Any
) -> None:
    chain(LOCMEM)
    OutboxMessage.objects.filter(pk=queued.pk).update(
        status=Status.SENDING, attempts=1, next_attempt_at=timezone.now() - timedelta(seconds=1)
    )

    deliver_due()

    queued.refresh_from_db()
    assert queued.status == Status.SENT
    assert queued.attempts == 2
    assert len(mail.outbox) == 1


def test_a_suppression_added_after_enqueueing_stops_the_send(
    queued: OutboxMessage, chain: Any
) -> None:
    from notifications.models import Suppression

    chain(LOCMEM)
    Suppression.objects.create(email="owner@acme.example", reason="complained")

    deliver_due()

    queued.refresh_from_db()
    assert queued.status == Status.FAILED
    assert "suppressed (complained" in queued.last_error
    assert mail.outbox == []


def test_the_worker_sends_due_messages_oldest_first_in_batches(
    cast: Any, settings: Any, chain: Any
) -> None:
    settings.EMAIL_DELIVERY_MODE = "worker"
    chain(LOCMEM)
    for membership in (cast.owner, cast.admin, cast.member, cast.viewer):
        emails.send_welcome(user=membership.user, tenant=cast.tenant)

    stats = deliver_due(batch_size=3)

    assert stats.sent == 4
    assert [m.to[0] for m in mail.outbox] == [
        "owner@acme.example",
        "admin@acme.example",
        "member@acme.example",
        "viewer@acme.example",
    ]


def test_single_use_links_leave_the_database_once_sent(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        reset = emails.send_password_reset(user=cast.member.user, reset_url="/password-reset/u/t/")
        welcome = emails.send_welcome(user=cast.member.user, tenant=cast.tenant)

    reset.refresh_from_db()
    welcome.refresh_from_db()
    [reset_mail, _] = mail.outbox
    assert "https://app.catalytic.example/password-reset/u/t/" in reset_mail.body
    assert reset.status == Status.SENT and reset.is_redacted
    assert "password-reset/u/t" not in reset.text_body + reset.html_body
    assert not welcome.is_redacted and "dashboard" in welcome.text_body


def test_single_use_links_are_also_removed_when_delivery_fails_for_good(
    cast: Any, chain: Any, settings: Any
) -> None:
    settings.EMAIL_DELIVERY_MODE = "worker"
    settings.EMAIL_MAX_ATTEMPTS = 1
    chain(BROKEN)
    message = emails.send_member_invitation(
        tenant=cast.tenant,
        email="new@acme.example",
        inviter=cast.owner.user,
        role="member",
        accept_url="/invitations/accept/secret-token/",
        expires_at=timezone.now(),
    )
    assert "secret-token" in message.text_body  # kept while it may still be sent

    deliver_due()

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert "secret-token" not in message.text_body + message.html_body


def test_during_an_outage_one_request_tries_the_providers_once_not_per_message(
    cast: Any, chain: Any, django_capture_on_commit_callbacks: Any
) -> None:
    chain(BROKEN)
    with django_capture_on_commit_callbacks(execute=True):
        messages = [
            emails.send_welcome(user=m.user, tenant=cast.tenant)
            for m in (cast.owner, cast.admin, cast.member)
        ]

    attempts = sorted(OutboxMessage.objects.values_list("attempts", flat=True))
    assert attempts == [0, 0, 1]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {Status.QUEUED}

    # The worker is not paused: it sends all three once the provider is back.
    chain(LOCMEM)
    OutboxMessage.objects.update(next_attempt_at=timezone.now())
    assert deliver_due().sent == len(messages)
