"""Each email kind: subject, plain text and HTML, with absolute links from SITE_URL."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from notifications import emails
from notifications.models import OutboxMessage
from notifications.rendering import format_amount

SITE = "https://app.catalytic.example"


def one(result: Any) -> OutboxMessage:
    """Billing kinds return a list (billing address + owners): take the billing address's."""
    if isinstance(result, list):
        return next(m for m in result if m.to_email.startswith("billing@"))
    return result


KINDS: dict[str, Any] = {
    "welcome": (
        lambda cast: emails.send_welcome(user=cast.owner.user, tenant=cast.tenant),
        "Welcome to Catalytic, Acme Lattices is ready",
        ["Hello Owner", "Acme Lattices"],
        [f"{SITE}/dashboard/"],
    ),
    "password_reset": (
        lambda cast: emails.send_password_reset(
            user=cast.member.user, reset_url="/accounts/reset/abc123/set-password/"
        ),
        "Reset your Catalytic password",
        ["member@acme.example", "If you did not ask for this"],
        [f"{SITE}/accounts/reset/abc123/set-password/"],
    ),
    "member_invitation": (
        lambda cast: emails.send_member_invitation(
            tenant=cast.tenant,
            email="newcomer@acme.example",
            inviter=cast.admin.user,
            role="member",
            accept_url=f"{SITE}/invitations/tok-123/accept/",
            expires_at=datetime(2031, 3, 14, 9, 30, tzinfo=UTC),
        ),
        "Admin Tester invited you to Acme Lattices on Catalytic",
        ["as Member", "14 March 2031, 09:30"],
        [f"{SITE}/invitations/tok-123/accept/"],
    ),
    "payment_succeeded": (
        lambda cast: emails.send_payment_succeeded(
            tenant=cast.tenant,
            amount_cents=2900,
            currency="usd",
            card_last4="4242",
            invoice_url="https://invoice.stripe.com/i/acct_1/inv_1",
        ),
        "Payment received: 29.00 USD for Acme Lattices",
        ["29.00 USD", "card ending in 4242"],
        ["https://invoice.stripe.com/i/acct_1/inv_1", f"{SITE}/billing/"],
    ),
    "payment_failed": (
        lambda cast: emails.send_payment_failed(
            tenant=cast.tenant, amount_cents=9900, currency="eur"
        ),
        "Action needed: a payment of 99.00 EUR for Acme Lattices failed",
        ["99.00 EUR", "update your payment method"],
        [f"{SITE}/billing/portal/"],
    ),
    "trial_ending": (
        lambda cast: emails.send_trial_ending(tenant=cast.tenant, days_left=3),
        "Your Catalytic trial for Acme Lattices ends in 3 days",
        ["ends in 3 days"],
        [f"{SITE}/billing/"],
    ),
    "subscription_cancelled": (
        lambda cast: emails.send_subscription_cancelled(tenant=cast.tenant),
        "Your Catalytic subscription for Acme Lattices is cancelled",
        ["is cancelled", "free plan"],
        [f"{SITE}/billing/"],
    ),
    "account_suspended": (
        lambda cast: emails.send_account_suspended(
            tenant=cast.tenant, reason="Three failed payments"
        ),
        "Acme Lattices is suspended on Catalytic",
        ["Reason: Three failed payments"],
        ["mailto:help@catalytic.example"],
    ),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_renders_subject_text_and_html_with_absolute_links(cast: Any, kind: str) -> None:
    build, subject, phrases, links = KINDS[kind]

    message = one(build(cast))

    assert message.kind == kind
    assert message.status == OutboxMessage.Status.QUEUED
    assert message.subject == subject
    for phrase in phrases:
        assert phrase in message.text_body, phrase
    for link in links:
        assert link in message.text_body, link
        assert f'href="{link}"' in message.html_body, link
    assert message.html_body.lstrip().startswith("<!DOCTYPE html>")
    # Every link in the HTML works from a mail client: none is relative.
    hrefs = re.findall(r'href="([^"]*)"', message.html_body)
    assert hrefs and all(h.startswith((f"{SITE}/", "https://", "mailto:")) for h in hrefs)
    # The text body is plain text, not a template accident.
    assert "<" not in message.text_body and "{{" not in message.text_body


def test_links_follow_the_site_url_setting(cast: Any, settings: Any) -> None:
    settings.SITE_URL = "https://eu.catalytic.example"

    message = emails.send_welcome(user=cast.owner.user, tenant=cast.tenant)

    assert "https://eu.catalytic.example/dashboard/" in message.text_body
    assert 'href="https://eu.catalytic.example/dashboard/"' in message.html_body


def test_billing_kinds_go_to_the_billing_address_and_each_owner_once(cast: Any) -> None:
    cast.tenant.billing_email = "Owner@Acme.example"  # same person as the owner
    cast.tenant.save()
    second_owner = cast.admin
    second_owner.role = "owner"
    second_owner.save()

    messages = emails.send_trial_ending(tenant=cast.tenant, days_left=1)

    assert [m.to_email for m in messages] == ["owner@acme.example", "admin@acme.example"]
    assert all(m.tenant_id == cast.tenant.pk for m in messages)
    assert messages[0].subject.endswith("ends in 1 day")


def test_user_supplied_text_is_escaped_in_html_but_verbatim_in_text(cast: Any) -> None:
    cast.tenant.name = 'O\'Brien & <script>alert("x")</script>'
    cast.tenant.save()

    message = one(emails.send_account_suspended(tenant=cast.tenant, reason="Fraud <b>check</b>"))

    assert "<script>" not in message.html_body
    assert "&lt;script&gt;" in message.html_body
    assert "Fraud &lt;b&gt;check&lt;/b&gt;" in message.html_body
    assert 'O\'Brien & <script>alert("x")</script>' in message.text_body
    assert message.subject == 'O\'Brien & <script>alert("x")</script> is suspended on Catalytic'


def test_a_newline_in_context_cannot_reach_the_subject_header(cast: Any) -> None:
    message = emails.send_notice(
        tenant=cast.tenant, to="member@acme.example", subject="Hi\r\nBcc: x@evil", message="m"
    )

    assert message.subject == "Hi Bcc: x@evil"


def test_payment_succeeded_without_card_or_invoice_links_to_billing(cast: Any) -> None:
    message = one(
        emails.send_payment_succeeded(
            tenant=cast.tenant, amount_cents=500, currency="jpy", card_last4=None, invoice_url=None
        )
    )

    assert "500 JPY" in message.text_body
    assert "card ending" not in message.text_body
    assert f'href="{SITE}/billing/"' in message.html_body


@pytest.mark.parametrize(
    ("cents", "currency", "expected"),
    [(2900, "usd", "29.00 USD"), (123456, "EUR", "1,234.56 EUR"), (1500, "jpy", "1,500 JPY"),
     (1234, "kwd", "1.234 KWD"), (0, "gbp", "0.00 GBP")],
)  # fmt: skip
def test_amounts_respect_the_currency_minor_unit(cents: int, currency: str, expected: str) -> None:
    assert format_amount(cents, currency) == expected
