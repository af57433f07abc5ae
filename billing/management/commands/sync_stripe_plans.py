"""manage.py sync_stripe_plans: Stripe Products/Prices for the paid plans (idempotent)."""

from __future__ import annotations

from typing import Any

import stripe
from django.core.management.base import BaseCommand, CommandError

from billing.seeding import seed_plans
from billing.stripe_client import billing_configured
from billing.stripe_plans import sync_stripe_plans


class Command(BaseCommand):
    help = "Create or update the Stripe Products and Prices of the paid plans; store their ids."

    def handle(self, *args: Any, **options: Any) -> None:
        if not billing_configured():
            raise CommandError("STRIPE_SECRET_KEY is not set: there is no Stripe account to sync.")
        list(seed_plans())  # the Plan rows must exist and match billing.plans first
        try:
            for outcome in sync_stripe_plans():
                what = (
                    f"{outcome.plan} {outcome.interval} price"
                    if outcome.interval
                    else (f"{outcome.plan} product")
                )
                self.stdout.write(f"  {outcome.action:<9} {what}: {outcome.stripe_id}")
        except stripe.StripeError as exc:
            raise CommandError(f"Stripe refused: {exc.user_message or exc}")
        self.stdout.write(self.style.SUCCESS("Stripe plans are in sync."))
