"""Create or update the Stripe Products and Prices of the paid plans, idempotently.

Products get fixed ids (`catalytic_<code>`) and prices fixed lookup keys
(`catalytic_<code>_<interval>`), so running this again finds what it made
instead of duplicating it. A changed amount makes a new Price that takes over
the lookup key (Stripe prices are immutable); the old one is deactivated.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import stripe
from djstripe.models import Price, Product

from billing.models import Plan
from billing.plans import INTERVALS, PLANS, PlanSpec, stripe_lookup_key
from billing.stripe_client import stripe_client, stripe_errors

CURRENCY = "usd"


@dataclass(frozen=True)
class Outcome:
    plan: str
    interval: str | None  # None for the product line
    stripe_id: str
    action: str  # created | updated | unchanged | replaced


def product_id(code: str) -> str:
    return f"catalytic_{code}"


def _ensure_product(spec: PlanSpec) -> tuple[dict, str]:
    client = stripe_client()
    wanted_name = f"Catalytic {spec.name}"
    try:
        product = client.Product.retrieve(product_id(spec.code))
    except stripe.InvalidRequestError as exc:
        if exc.code != "resource_missing":
            raise
        product = client.Product.create(
            id=product_id(spec.code), name=wanted_name, metadata={"plan_code": spec.code}
        )
        return product, "created"
    if product.get("name") != wanted_name or not product.get("active", True):
        product = client.Product.modify(product_id(spec.code), name=wanted_name, active=True)
        return product, "updated"
    return product, "unchanged"


def _price_matches(price: dict, spec: PlanSpec, interval: str, product: str) -> bool:
    recurring = price.get("recurring") or {}
    price_product = price.get("product")
    price_product = price_product.get("id") if isinstance(price_product, dict) else price_product
    return (
        price.get("unit_amount") == spec.price_cents(interval)
        and price.get("currency") == CURRENCY
        and recurring.get("interval") == interval
        and price_product == product
        and price.get("active", True)
    )


def _ensure_price(spec: PlanSpec, interval: str, product: str) -> tuple[dict, str]:
    client = stripe_client()
    key = stripe_lookup_key(spec.code, interval)
    existing = client.Price.list(lookup_keys=[key], limit=1).get("data") or []
    if existing and _price_matches(existing[0], spec, interval, product):
        return existing[0], "unchanged"
    price = client.Price.create(
        product=product,
        currency=CURRENCY,
        unit_amount=spec.price_cents(interval),
        recurring={"interval": interval},
        lookup_key=key,
        transfer_lookup_key=True,
        metadata={"plan_code": spec.code, "interval": interval},
    )
    if existing:
        client.Price.modify(existing[0]["id"], active=False)
        return price, "replaced"
    return price, "created"


def sync_stripe_plans() -> Iterator[Outcome]:
    """Bring Stripe in line with billing.plans.PLANS and store the ids on the Plan rows.

    Stripe's exceptions leave as `ServiceError`s (`stripe_errors`), as from the API.
    """
    with stripe_errors():
        client = stripe_client()
        for spec in PLANS:
            if not spec.is_paid:
                continue
            plan = Plan.objects.get(code=spec.code)
            product, action = _ensure_product(spec)
            Product.sync_from_stripe_data(product, api_key=client.api_key)
            yield Outcome(spec.code, None, product["id"], action)
            ids = {}
            for interval in INTERVALS:
                price, action = _ensure_price(spec, interval, product["id"])
                Price.sync_from_stripe_data(price, api_key=client.api_key)
                ids[interval] = price["id"]
                yield Outcome(spec.code, interval, price["id"], action)
            plan.stripe_product_id = product["id"]
            plan.stripe_price_monthly_id = ids["month"]
            plan.stripe_price_yearly_id = ids["year"]
            plan.save(
                update_fields=[
                    "stripe_product_id",
                    "stripe_price_monthly_id",
                    "stripe_price_yearly_id",
                ]
            )
