"""A thin end-to-end layer against localstripe (a Stripe look-alike speaking real HTTP).

localstripe has customers, payment methods, legacy Plans, subscriptions, cancel
and invoices, but no Prices, Checkout or Portal (see /work/shared/stripe). So
the subscription itself is created here as Stripe would after a Checkout, with
a legacy Plan whose id is stored as the plan's price id; everything else goes
through the app: the customer, cancellation, a declined card, and every event
localstripe recorded replayed, signed, through the real webhook endpoint.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
import requests
from djstripe.models import Account, APIKey

from billing.customers import ensure_customer
from billing.models import Plan
from billing.stripe_client import stripe_client
from tests.billing.conftest import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    local_subscription,
    outbox,
    post_event,
)
from tests.billing.fake_stripe import ACCOUNT_ID, fixture

pytestmark = [pytest.mark.localstripe, pytest.mark.django_db]

SERVER = Path(__file__).parent / "localstripe_server.py"
VISA = "4242424242424242"
DECLINED = "4000000000000002"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unavailable(reason: str) -> NoReturn:
    """Without localstripe the cross-check skips, except in CI (CI=true, set by .ci/run),
    where it must run: a server that cannot start there is a failure, not a silent skip."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"localstripe is unavailable in CI: {reason}")
    pytest.skip(reason)


def start_localstripe(server: Path, port: int) -> subprocess.Popen:
    """Run `server` on 127.0.0.1:`port` and wait until it accepts connections."""
    try:
        process = subprocess.Popen(
            [sys.executable, str(server), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    except OSError as exc:
        unavailable(f"localstripe could not be started: {exc}")
    deadline = time.monotonic() + 15
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                _, err = process.communicate(timeout=5)
                unavailable(f"localstripe did not start on 127.0.0.1:{port}: {err.decode()[-500:]}")
            time.sleep(0.1)


@pytest.fixture(scope="module")
def localstripe_url() -> Iterator[str]:
    port = _free_port()
    process = start_localstripe(SERVER, port)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.mark.parametrize(
    ("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)]
)
def test_a_localstripe_that_cannot_start_fails_in_ci_and_skips_elsewhere(
    ci, outcome, monkeypatch, tmp_path
):
    broken = tmp_path / "broken_server.py"
    broken.write_text("raise SystemExit('localstripe is not installed')\n")
    monkeypatch.setenv("CI", ci)

    try:
        start_localstripe(broken, _free_port())
    except (pytest.fail.Exception, pytest.skip.Exception) as exc:
        # Caught here, so that a skip where a failure is due fails this test.
        assert type(exc) is outcome
        assert "localstripe is not installed" in str(exc)
    else:
        pytest.fail("a server that exits at once was taken for a running localstripe")


@pytest.fixture
def localstripe(settings: Any, localstripe_url: str, cast: Any, plans: dict[str, Plan]) -> Any:
    requests.delete(f"{localstripe_url}/_config/data", timeout=5).raise_for_status()
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_TEST_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe_url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    client = stripe_client()
    account = Account.objects.create(
        id=ACCOUNT_ID, livemode=False, stripe_data=fixture("account", id=ACCOUNT_ID)
    )
    APIKey.objects.create(
        secret=SECRET_KEY, type="secret", livemode=False, djstripe_owner_account=account
    )
    product = client.Product.create(name="Catalytic Starter")
    plan = client.Plan.create(
        id="catalytic_starter_month",
        product=product.id,
        amount=2900,
        currency="usd",
        interval="month",
    )
    Plan.objects.filter(code="starter").update(
        stripe_product_id=product.id, stripe_price_monthly_id=plan.id
    )
    return client


class Replayer:
    """Delivers each event localstripe recorded, once, signed like Stripe, in order."""

    def __init__(self, client: Any, anon: Any) -> None:
        self.client = client
        self.anon = anon
        self.seen: set[str] = set()

    def __call__(self) -> list[str]:
        events = list(self.client.Event.list(limit=100).auto_paging_iter())
        fresh = [e for e in sorted(events, key=lambda e: e.created) if e.id not in self.seen]
        for event in fresh:
            response = post_event(self.anon, event.to_dict())
            assert response.status_code == 200, (event.type, response.content)
            self.seen.add(event.id)
        return [event.type for event in fresh]


def _card(client: Any, number: str) -> Any:
    # What Stripe.js does in the browser: the card never touches our servers.
    return client.PaymentMethod.create(
        type="card", card={"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    )


def test_card_subscription_cancel_end_to_end(localstripe, cast, anon, client_for):
    replay = Replayer(localstripe, anon)
    customer = ensure_customer(cast.tenant)
    card = _card(localstripe, VISA)
    localstripe.PaymentMethod.attach(card.id, customer=customer.id)
    localstripe.Customer.modify(customer.id, invoice_settings={"default_payment_method": card.id})
    localstripe.Subscription.create(
        customer=customer.id,
        items=[{"plan": "catalytic_starter_month"}],
        metadata={"tenant_id": str(cast.tenant.id), "plan_code": "starter"},
    )

    types = replay()

    assert {
        "customer.created",
        "customer.subscription.created",
        "invoice.payment_succeeded",
    } <= set(types)
    local = local_subscription(cast.tenant)
    assert (local.plan.code, local.status, local.stripe_customer_id) == (
        "starter",
        "active",
        customer.id,
    )
    receipts = outbox(cast.tenant, "payment_succeeded")
    assert len(receipts) == 2
    assert "29.00" in receipts[0].text_body and "4242" in receipts[0].text_body

    owner = client_for(cast.owner)
    response = owner.delete("/api/subscriptions/cancel", {"at_period_end": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["cancel_at_period_end"] is True

    response = owner.delete("/api/subscriptions/cancel", {"at_period_end": False}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["plan"]["code"] == "free"

    assert "customer.subscription.deleted" in replay()
    assert local_subscription(cast.tenant).plan.code == "free"
    assert len(outbox(cast.tenant, "subscription_cancelled")) == 2
    assert replay() == []  # nothing new; a second pass changes nothing


def test_a_declined_card_is_refused_and_changes_nothing(localstripe, cast, anon, client_for):
    replay = Replayer(localstripe, anon)
    card = _card(localstripe, DECLINED)

    response = client_for(cast.owner).post(
        "/api/subscriptions/create",
        {"plan_code": "starter", "payment_method_id": card.id},
        format="json",
    )

    assert response.status_code == 402
    assert response.json()["error"]["code"] == "card_declined"
    replay()
    local = local_subscription(cast.tenant)
    assert (local.plan.code, local.stripe_subscription_id) == ("free", "")
    assert outbox(cast.tenant, "payment_succeeded") == []
