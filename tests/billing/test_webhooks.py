"""POST /api/stripe/webhooks: signed events through the real endpoint, against the fake Stripe."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from djstripe.models import Event, WebhookEventTrigger

from billing.models import Subscription
from tenants.models import AuditEvent, Tenant
from tests.billing.conftest import WEBHOOK_SECRET, local_subscription, outbox
from tests.billing.fake_stripe import DAY, fixture, sign

pytestmark = pytest.mark.django_db


def _subscribe(fake: Any, customer: Any, **fields: Any) -> dict:
    fields.setdefault("price", "price_starter_month")
    return fake.add_subscription(customer=customer.id, **fields)


# --- signature ----------------------------------------------------------------


def test_it_refuses_a_bad_signature_and_stores_nothing(billing, customer, fake_stripe, deliver):
    sub = _subscribe(fake_stripe, customer)
    response = deliver(
        fake_stripe.event("customer.subscription.created", sub), secret="whsec_someone_else"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert not WebhookEventTrigger.objects.exists()
    assert not Event.objects.exists()
    assert local_subscription(billing.tenant).plan.code == "free"
    assert fake_stripe.calls == []


def test_it_refuses_a_stale_signature_as_a_replay(billing, customer, fake_stripe, deliver):
    sub = _subscribe(fake_stripe, customer)
    event = fake_stripe.event("customer.subscription.created", sub)

    response = deliver(event, timestamp=int(time.time()) - 3600)

    assert response.status_code == 400
    assert not WebhookEventTrigger.objects.exists()
    assert local_subscription(billing.tenant).plan.code == "free"


def test_it_refuses_a_signature_dated_beyond_the_tolerance_in_the_future(
    billing, customer, fake_stripe, deliver, settings
):
    sub = _subscribe(fake_stripe, customer)
    event = fake_stripe.event("customer.subscription.created", sub)

    response = deliver(event, timestamp=int(time.time()) + settings.STRIPE_WEBHOOK_TOLERANCE + 60)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert not WebhookEventTrigger.objects.exists()
    assert local_subscription(billing.tenant).plan.code == "free"


def test_it_accepts_a_clock_a_little_ahead_within_the_tolerance(
    billing, customer, fake_stripe, deliver, settings
):
    sub = _subscribe(fake_stripe, customer)
    event = fake_stripe.event("customer.subscription.created", sub)

    response = deliver(event, timestamp=int(time.time()) + settings.STRIPE_WEBHOOK_TOLERANCE // 2)

    assert response.status_code == 200
    assert local_subscription(billing.tenant).plan.code == "starter"


def test_it_accepts_either_secret_while_one_is_rolled(
    billing, customer, fake_stripe, deliver, settings
):
    settings.STRIPE_WEBHOOK_SECRET = f"whsec_new_secret_0123456789, {WEBHOOK_SECRET}"
    sub = _subscribe(fake_stripe, customer)

    assert deliver(fake_stripe.event("customer.subscription.created", sub)).status_code == 200
    response = deliver(
        fake_stripe.event("customer.subscription.updated", sub), secret="whsec_other"
    )
    assert response.status_code == 400


def test_it_refuses_a_missing_signature(billing, anon):
    response = anon.post("/api/stripe/webhooks", data="{}", content_type="application/json")

    assert response.status_code == 400
    assert not WebhookEventTrigger.objects.exists()


def test_it_refuses_a_signed_body_that_is_not_an_event(billing, anon):
    payload = json.dumps({"object": "customer", "id": "cus_123"})
    response = anon.post(
        "/api/stripe/webhooks",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, WEBHOOK_SECRET),
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_event"


def test_it_only_accepts_post(billing, anon):
    assert anon.get("/api/stripe/webhooks").status_code == 405


def test_it_acknowledges_and_ignores_unknown_event_types(billing, customer, fake_stripe, deliver):
    event = fake_stripe.event("catalytic.something_new", {"object": "thing", "id": "thing_1"})

    response = deliver(event)

    assert response.status_code == 200
    assert Event.objects.filter(id=event["id"]).exists()
    assert local_subscription(billing.tenant).plan.code == "free"
    assert fake_stripe.calls == []


def test_an_unhandled_type_is_acknowledged_without_asking_stripe_even_when_it_is_down(
    billing, customer, fake_stripe, deliver
):
    fake_stripe.fail_every_call(500, "An unknown error occurred", type="api_error")
    event = fake_stripe.event("customer.updated", {"object": "customer", "id": "cus_unhandled"})

    response = deliver(event)

    assert response.status_code == 200
    assert response.json()["event"] == event["id"]
    assert Event.objects.filter(id=event["id"], type="customer.updated").exists()
    assert fake_stripe.calls == []


# --- the seven events -----------------------------------------------------------


def test_subscription_created_sets_plan_status_and_period(billing, customer, fake_stripe, deliver):
    sub = _subscribe(
        fake_stripe, customer, price="price_professional_year", status="trialing", trial_days=14
    )

    response = deliver(fake_stripe.event("customer.subscription.created", sub))

    assert response.status_code == 200, response.content
    local = local_subscription(billing.tenant)
    assert local.plan.code == "professional"
    assert local.interval == "year"
    assert local.status == "trialing"
    assert local.stripe_subscription_id == sub["id"]
    assert local.stripe_customer_id == customer.id
    assert int(local.trial_end.timestamp()) == sub["trial_end"]
    assert (
        int(local.current_period_end.timestamp()) == sub["items"]["data"][0]["current_period_end"]
    )
    assert fake_stripe.calls_to("GET", f"/v1/subscriptions/{sub['id']}")  # dj-stripe re-fetched it
    assert AuditEvent.objects.filter(
        tenant=billing.tenant, action="plan_changed", target="professional"
    ).exists()


def test_subscription_updated_follows_stripe_not_the_event_body(
    billing, customer, fake_stripe, deliver
):
    sub = _subscribe(fake_stripe, customer)
    stale_snapshot = fake_stripe.event("customer.subscription.updated", sub)
    # Between the snapshot and the delivery the customer scheduled a cancellation.
    fake_stripe.set_subscription(sub["id"], cancel_at_period_end=True)

    response = deliver(stale_snapshot)

    assert response.status_code == 200
    local = local_subscription(billing.tenant)
    assert local.plan.code == "starter"
    assert local.status == "active"
    assert local.cancel_at_period_end is True


def test_subscription_deleted_returns_the_tenant_to_free_and_emails_once(
    billing, customer, fake_stripe, deliver
):
    sub = _subscribe(fake_stripe, customer)
    assert deliver(fake_stripe.event("customer.subscription.created", sub)).status_code == 200
    fake_stripe.set_subscription(
        sub["id"], status="canceled", canceled_at=int(time.time()), ended_at=int(time.time())
    )

    response = deliver(
        fake_stripe.event("customer.subscription.deleted", fake_stripe.get(sub["id"]))
    )

    assert response.status_code == 200
    local = local_subscription(billing.tenant)
    assert (local.plan.code, local.status, local.stripe_subscription_id) == ("free", "active", "")
    assert local.canceled_at is not None
    emails = outbox(billing.tenant, "subscription_cancelled")
    # The billing address and the owner, one message each.
    assert [m.to_email for m in emails] == ["billing@acme-lattices.example", "owner@acme.example"]
    assert Tenant.objects.get(pk=billing.tenant.pk).status == Tenant.Status.ACTIVE


def test_trial_will_end_sends_the_trial_ending_email(billing, customer, fake_stripe, deliver):
    sub = _subscribe(fake_stripe, customer, status="trialing", trial_days=3)

    response = deliver(fake_stripe.event("customer.subscription.trial_will_end", sub))

    assert response.status_code == 200
    emails = outbox(billing.tenant, "trial_ending")
    assert len(emails) == 2
    assert "3 days" in emails[0].text_body
    assert local_subscription(billing.tenant).status == "trialing"


def test_trial_will_end_after_the_trial_ended_sends_nothing(
    billing, customer, fake_stripe, deliver
):
    sub = _subscribe(fake_stripe, customer, status="trialing", trial_days=3)
    event = fake_stripe.event("customer.subscription.trial_will_end", sub)
    fake_stripe.set_subscription(sub["id"], status="active", trial_end=int(time.time()) - DAY)

    assert deliver(event).status_code == 200

    assert outbox(billing.tenant, "trial_ending") == []
    assert local_subscription(billing.tenant).status == "active"


def test_payment_succeeded_sends_a_receipt_with_amount_card_and_invoice(
    billing, customer, fake_stripe, deliver
):
    sub = _subscribe(fake_stripe, customer, default_payment_method=customer.payment_method["id"])
    invoice = fake_stripe.add_invoice(customer=customer.id, subscription=sub["id"], amount=2900)

    response = deliver(fake_stripe.event("invoice.payment_succeeded", invoice))

    assert response.status_code == 200
    local = local_subscription(billing.tenant)
    assert (local.plan.code, local.status) == ("starter", "active")
    emails = outbox(billing.tenant, "payment_succeeded")
    assert len(emails) == 2
    body = emails[0].text_body
    assert "29.00 USD" in body
    assert "4242" in body
    assert invoice["hosted_invoice_url"] in body
    assert emails[0].dedupe_key.endswith(":payment_succeeded")


def test_payment_failed_marks_past_due_and_emails_the_update_link(
    billing, customer, fake_stripe, deliver
):
    sub = _subscribe(fake_stripe, customer)
    assert deliver(fake_stripe.event("customer.subscription.created", sub)).status_code == 200
    fake_stripe.set_subscription(sub["id"], status="past_due")
    invoice = fake_stripe.add_invoice(
        customer=customer.id, subscription=sub["id"], amount=2900, status="open"
    )

    response = deliver(fake_stripe.event("invoice.payment_failed", invoice))

    assert response.status_code == 200
    assert local_subscription(billing.tenant).status == "past_due"
    emails = outbox(billing.tenant, "payment_failed")
    assert len(emails) == 2
    assert "29.00 USD" in emails[0].text_body
    assert "https://app.catalytic.example/billing/portal/" in emails[0].text_body
    assert Tenant.objects.get(pk=billing.tenant.pk).status == Tenant.Status.ACTIVE


def test_checkout_completed_links_customer_and_subscription_to_the_tenant(
    billing, fake_stripe, deliver, client_for
):
    response = client_for(billing.owner).post(
        "/api/stripe/checkout", {"plan_code": "professional", "interval": "month"}, format="json"
    )
    assert response.status_code == 200, response.content
    session = fake_stripe.complete_checkout(response.json()["session_id"])

    response = deliver(fake_stripe.event("checkout.session.completed", session))

    assert response.status_code == 200, response.content
    local = local_subscription(billing.tenant)
    assert local.plan.code == "professional"
    assert local.status == "trialing"  # the plan's 14-day trial, first subscription
    assert local.stripe_subscription_id == session["subscription"]
    assert local.stripe_customer_id == session["customer"]
    from djstripe.models import Customer

    assert Customer.objects.get(id=session["customer"]).subscriber == billing.tenant


def test_checkout_completed_for_a_customer_of_another_tenant_changes_nothing(
    billing, customer, fake_stripe, deliver
):
    sub = _subscribe(fake_stripe, customer, price="price_enterprise_month")
    session = fake_stripe.store(
        fixture(
            "checkout.session",
            id="cs_test_forged",
            mode="subscription",
            customer=customer.id,
            subscription=sub["id"],
            metadata={"tenant_id": str(billing.other_tenant.id)},
            client_reference_id=str(billing.other_tenant.id),
            payment_intent=None,
            setup_intent=None,
            invoice=None,
        )
    )

    response = deliver(fake_stripe.event("checkout.session.completed", session))

    assert response.status_code == 200
    assert local_subscription(billing.other_tenant).plan.code == "free"


# --- duplicates, replays, ordering ------------------------------------------------


def test_the_same_event_twice_changes_nothing_and_emails_once(
    billing, customer, fake_stripe, deliver
):
    sub = _subscribe(fake_stripe, customer)
    invoice = fake_stripe.add_invoice(customer=customer.id, subscription=sub["id"], amount=2900)
    event = fake_stripe.event("invoice.payment_succeeded", invoice)

    assert deliver(event).status_code == 200
    calls_after_first = len(fake_stripe.calls)
    first = local_subscription(billing.tenant)
    assert deliver(event).status_code == 200  # Stripe resent it (timeout on its side)

    assert len(outbox(billing.tenant, "payment_succeeded")) == 2  # two recipients, once each
    assert len(fake_stripe.calls) == calls_after_first  # the duplicate was not processed
    second = local_subscription(billing.tenant)
    assert (second.plan_id, second.status, second.updated_at) == (
        first.plan_id,
        first.status,
        first.updated_at,
    )
    assert WebhookEventTrigger.objects.count() == 2
    assert Event.objects.filter(id=event["id"]).count() == 1


def test_an_old_update_delivered_after_the_deletion_keeps_the_tenant_on_free(
    billing, customer, fake_stripe, deliver
):
    sub = _subscribe(fake_stripe, customer)
    created = fake_stripe.event("customer.subscription.created", sub, created=int(time.time()) - 60)
    updated = fake_stripe.event("customer.subscription.updated", sub, created=int(time.time()) - 30)
    fake_stripe.set_subscription(sub["id"], status="canceled", canceled_at=int(time.time()))
    deleted = fake_stripe.event("customer.subscription.deleted", fake_stripe.get(sub["id"]))

    for event in (created, deleted, updated):  # Stripe does not promise order
        assert deliver(event).status_code == 200

    local = local_subscription(billing.tenant)
    assert (local.plan.code, local.status) == ("free", "active")
    assert len(outbox(billing.tenant, "subscription_cancelled")) == 2


def test_a_failure_delivered_after_the_later_success_leaves_the_tenant_active(
    billing, customer, fake_stripe, deliver
):
    sub = _subscribe(fake_stripe, customer)
    invoice = fake_stripe.add_invoice(
        customer=customer.id, subscription=sub["id"], amount=2900, status="open"
    )
    failed = fake_stripe.event("invoice.payment_failed", invoice, created=int(time.time()) - 60)
    fake_stripe.get(invoice["id"]).update(status="paid", amount_paid=2900, amount_remaining=0)
    succeeded = fake_stripe.event("invoice.payment_succeeded", fake_stripe.get(invoice["id"]))

    assert deliver(succeeded).status_code == 200
    assert deliver(failed).status_code == 200

    assert local_subscription(billing.tenant).status == "active"
    assert outbox(billing.tenant, "payment_failed") == []
    assert len(outbox(billing.tenant, "payment_succeeded")) == 2


def test_a_replayed_sequence_gives_the_same_state_and_no_new_email(
    billing, customer, fake_stripe, deliver
):
    sub = _subscribe(fake_stripe, customer, status="trialing", trial_days=3)
    events = [
        fake_stripe.event("customer.subscription.created", sub),
        fake_stripe.event("customer.subscription.trial_will_end", sub),
    ]
    for event in events:
        assert deliver(event).status_code == 200
    state = local_subscription(billing.tenant)
    messages = outbox(billing.tenant, "trial_ending")

    for event in reversed(events):  # an operator replays them from the dashboard
        assert deliver(event).status_code == 200

    again = local_subscription(billing.tenant)
    assert (again.plan_id, again.status, again.trial_end) == (
        state.plan_id,
        state.status,
        state.trial_end,
    )
    assert outbox(billing.tenant, "trial_ending") == messages


# --- failures ------------------------------------------------------------------------


def test_a_failing_handler_answers_500_and_the_retry_processes_the_event(
    billing, customer, fake_stripe, deliver, monkeypatch
):
    sub = _subscribe(fake_stripe, customer)
    fake_stripe.set_subscription(sub["id"], status="past_due")
    invoice = fake_stripe.add_invoice(
        customer=customer.id, subscription=sub["id"], amount=2900, status="open"
    )
    event = fake_stripe.event("invoice.payment_failed", invoice)

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("email templates are missing")

    monkeypatch.setattr("billing.handlers.send_payment_failed", broken)
    response = deliver(event)

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "webhook_failed"
    assert not Event.objects.filter(id=event["id"]).exists()  # rolled back: re-processable
    assert local_subscription(billing.tenant).plan.code == "free"
    trigger = WebhookEventTrigger.objects.get()
    assert "email templates are missing" in trigger.exception

    monkeypatch.undo()
    response = deliver(event)  # Stripe's retry

    assert response.status_code == 200
    assert local_subscription(billing.tenant).status == "past_due"
    assert len(outbox(billing.tenant, "payment_failed")) == 2


def test_stripe_unreachable_during_processing_answers_500(
    billing, customer, fake_stripe, deliver, caplog
):
    sub = _subscribe(fake_stripe, customer)
    fake_stripe.fail_next(
        "GET", f"/v1/subscriptions/{sub['id']}", 500, "Stripe is having a moment", type="api_error"
    )

    with caplog.at_level(logging.WARNING, logger="billing.api.webhooks"):
        response = deliver(fake_stripe.event("customer.subscription.created", sub))

    assert response.status_code == 500
    assert local_subscription(billing.tenant).plan.code == "free"
    # One line naming the event, no traceback: an outage of Stripe's, not a bug of ours.
    (record,) = [r for r in caplog.records if r.name == "billing.api.webhooks"]
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "evt_" in record.getMessage()


def test_events_of_customers_unknown_here_are_acknowledged(billing, fake_stripe, deliver):
    stranger = fake_stripe.add_customer(email="someone@elsewhere.example")
    sub = fake_stripe.add_subscription(customer=stranger["id"], price="price_starter_month")

    response = deliver(fake_stripe.event("customer.subscription.created", sub))

    assert response.status_code == 200
    assert not Subscription.objects.filter(stripe_subscription_id=sub["id"]).exists()


# --- the whole life of a subscription ---------------------------------------------------


def test_trial_active_past_due_suspended_reactivated(billing, customer, fake_stripe, deliver):
    tenant = billing.tenant
    sub = _subscribe(fake_stripe, customer, status="trialing", trial_days=14)
    assert deliver(fake_stripe.event("customer.subscription.created", sub)).status_code == 200
    assert local_subscription(tenant).status == "trialing"

    fake_stripe.set_subscription(sub["id"], status="active", trial_end=int(time.time()))
    assert (
        deliver(
            fake_stripe.event("customer.subscription.updated", fake_stripe.get(sub["id"]))
        ).status_code
        == 200
    )
    assert local_subscription(tenant).status == "active"

    fake_stripe.set_subscription(sub["id"], status="past_due")
    invoice = fake_stripe.add_invoice(
        customer=customer.id, subscription=sub["id"], amount=2900, status="open"
    )
    assert deliver(fake_stripe.event("invoice.payment_failed", invoice)).status_code == 200
    assert local_subscription(tenant).status == "past_due"
    assert Tenant.objects.get(pk=tenant.pk).status == Tenant.Status.ACTIVE

    fake_stripe.set_subscription(sub["id"], status="unpaid")  # Stripe gave up retrying
    assert (
        deliver(
            fake_stripe.event("invoice.payment_failed", fake_stripe.get(invoice["id"]))
        ).status_code
        == 200
    )
    tenant.refresh_from_db()
    assert tenant.status == Tenant.Status.SUSPENDED
    assert local_subscription(tenant).status == "unpaid"
    assert len(outbox(tenant, "account_suspended")) == 2
    assert len(outbox(tenant, "payment_failed")) == 4  # two failures, two recipients
    # The subscription.updated Stripe sends for "unpaid" suspends nobody twice.
    assert (
        deliver(
            fake_stripe.event("customer.subscription.updated", fake_stripe.get(sub["id"]))
        ).status_code
        == 200
    )
    assert len(outbox(tenant, "account_suspended")) == 2

    fake_stripe.set_subscription(sub["id"], status="active")
    fake_stripe.get(invoice["id"]).update(status="paid", amount_paid=2900, amount_remaining=0)
    assert (
        deliver(
            fake_stripe.event("invoice.payment_succeeded", fake_stripe.get(invoice["id"]))
        ).status_code
        == 200
    )
    tenant.refresh_from_db()
    assert tenant.status == Tenant.Status.ACTIVE
    assert local_subscription(tenant).status == "active"
    assert len(outbox(tenant, "payment_succeeded")) == 2


def test_a_payment_does_not_reactivate_a_tenant_suspended_by_staff(
    billing, customer, fake_stripe, deliver
):
    from tenants.services import suspend_tenant

    suspend_tenant(tenant=billing.tenant, actor=None, reason="Abuse report #42")
    sub = _subscribe(fake_stripe, customer)
    invoice = fake_stripe.add_invoice(customer=customer.id, subscription=sub["id"], amount=2900)

    assert deliver(fake_stripe.event("invoice.payment_succeeded", invoice)).status_code == 200

    assert Tenant.objects.get(pk=billing.tenant.pk).status == Tenant.Status.SUSPENDED


def test_webhooks_answer_503_when_stripe_is_not_configured(
    billing, customer, fake_stripe, deliver, settings
):
    event = fake_stripe.event("customer.subscription.created", _subscribe(fake_stripe, customer))
    settings.STRIPE_WEBHOOK_SECRET = ""

    response = deliver(event)

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "billing_not_configured"
    assert response.json()["error"]["details"] == {"missing": "STRIPE_WEBHOOK_SECRET"}


def test_the_503_names_the_secret_key_when_that_is_what_is_missing(
    billing, customer, fake_stripe, deliver, settings
):
    event = fake_stripe.event("customer.subscription.created", _subscribe(fake_stripe, customer))
    settings.STRIPE_SECRET_KEY = ""

    response = deliver(event)

    assert response.status_code == 503
    error = response.json()["error"]
    assert error["details"] == {"missing": "STRIPE_SECRET_KEY"}
    assert "STRIPE_SECRET_KEY" in error["message"]
    assert not WebhookEventTrigger.objects.exists()


def test_the_503_names_both_variables_when_both_are_missing(billing, anon, settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""

    response = anon.post(
        "/api/stripe/webhooks",
        data="{}",
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE="t=1,v1=x",
    )

    assert response.status_code == 503
    assert response.json()["error"]["details"] == {
        "missing": "STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET"
    }
