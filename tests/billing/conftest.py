"""Billing fixtures: a configured Stripe pointing at the in-process fake, signed events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from djstripe.models import Account, APIKey
from rest_framework.test import APIClient

from billing.models import Plan, Subscription
from billing.plans import PLANS, stripe_lookup_key
from billing.stripe_client import stripe_client
from notifications.models import OutboxMessage
from tenants.models import Tenant
from tests.billing.fake_stripe import ACCOUNT_ID, FakeStripe, fixture, sign


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs real PostgreSQL (set DATABASE_URL=postgresql://...)")


SECRET_KEY = "sk_test_CatalyticFakeKey0123456789abcdef"
WEBHOOK_SECRET = "whsec_catalytic_test_secret_0123456789"


@pytest.fixture(scope="session")
def _fake_stripe_server() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_stripe(_fake_stripe_server: FakeStripe) -> FakeStripe:
    _fake_stripe_server.reset()
    return _fake_stripe_server


@pytest.fixture
def stripe_settings(settings: Any, fake_stripe: FakeStripe) -> Any:
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_TEST_SECRET_KEY = SECRET_KEY
    settings.STRIPE_LIVE_SECRET_KEY = ""
    settings.STRIPE_LIVE_MODE = False
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_CatalyticFakeKey0123456789abcdef"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = fake_stripe.url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_RETURN_URL = "https://app.catalytic.example/billing/"
    settings.SITE_URL = "https://app.catalytic.example"
    stripe_client()  # module-level config, for dj-stripe calls made before any of ours
    return settings


@pytest.fixture
def no_stripe(settings: Any) -> Any:
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_TEST_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    return settings


@pytest.fixture
def stripe_account(db: Any, stripe_settings: Any) -> Account:
    """dj-stripe's Account + APIKey rows, so it never asks Stripe for /v1/account."""
    account = Account.objects.create(
        id=ACCOUNT_ID, livemode=False, stripe_data=fixture("account", id=ACCOUNT_ID)
    )
    APIKey.objects.create(
        secret=SECRET_KEY, type="secret", livemode=False, djstripe_owner_account=account
    )
    return account


@pytest.fixture
def stripe_plans(plans: dict[str, Plan], fake_stripe: FakeStripe) -> dict[str, Plan]:
    """Products and prices in the fake Stripe, their ids on our Plan rows (as sync_stripe_plans)."""
    for spec in PLANS:
        if not spec.is_paid:
            continue
        product = fake_stripe.add_product(f"catalytic_{spec.code}", f"Catalytic {spec.name}")
        plan = plans[spec.code]
        plan.stripe_product_id = product["id"]
        for interval in ("month", "year"):
            price = fake_stripe.add_price(
                f"price_{spec.code}_{interval}",
                product=product["id"],
                unit_amount=spec.price_cents(interval),
                interval=interval,
                lookup_key=stripe_lookup_key(spec.code, interval),
            )
            setattr(
                plan,
                f"stripe_price_{'monthly' if interval == 'month' else 'yearly'}_id",
                price["id"],
            )
        plan.save()
    return plans


@pytest.fixture
def billing(
    cast: Any, stripe_account: Account, stripe_plans: dict[str, Plan], fake_stripe: FakeStripe
) -> Any:
    """The standard cast with Stripe configured against the fake."""
    return cast


def post_event(
    client: APIClient, event: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None
) -> Any:
    payload = json.dumps(event)
    return client.post(
        "/api/stripe/webhooks",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, secret, timestamp),
    )


@pytest.fixture
def deliver(anon: APIClient) -> Any:
    """`deliver(event)` → the endpoint's response to a correctly signed delivery."""

    def _deliver(event: dict, **kwargs: Any) -> Any:
        return post_event(anon, event, **kwargs)

    return _deliver


def outbox(tenant: Tenant, kind: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(tenant=tenant, kind=kind).order_by("to_email"))


def local_subscription(tenant: Tenant) -> Subscription:
    return Subscription.objects.select_related("plan").get(tenant=tenant)


class Customerised:
    """A tenant already known to Stripe: customer (linked), card on file."""

    def __init__(self, fake: FakeStripe, tenant: Tenant, *, last4: str = "4242") -> None:
        from djstripe.models import Customer

        self.customer = fake.add_customer(
            email=tenant.billing_email, name=tenant.name, metadata={"tenant_id": str(tenant.id)}
        )
        self.payment_method = fake.add_payment_method(last4=last4, customer=self.customer["id"])
        row = Customer.sync_from_stripe_data(fake.get(self.customer["id"]), api_key=SECRET_KEY)
        row.subscriber = tenant
        row.save()
        Subscription.objects.filter(tenant=tenant).update(stripe_customer_id=self.customer["id"])

    @property
    def id(self) -> str:
        return self.customer["id"]


@pytest.fixture
def customer(billing: Any, fake_stripe: FakeStripe) -> Customerised:
    known = Customerised(fake_stripe, billing.tenant)
    fake_stripe.calls.clear()  # each test asserts on the calls it causes itself
    return known
