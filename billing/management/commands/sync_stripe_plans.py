"""manage.py sync_stripe_plans: Stripe Products/Prices for the paid plans (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from billing.seeding import seed_plans
from billing.stripe_client import billing_configured
from billing.stripe_plans import sync_stripe_plans
from catalytic.errors import ServiceError


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
        except ServiceError as exc:
            raise CommandError(failure_message(exc)) from exc
        self.stdout.write(self.style.SUCCESS("Stripe plans are in sync."))


def failure_message(exc: ServiceError) -> str:
    cause = exc.__cause__
    reason = f"{type(cause).__name__}: {getattr(cause, 'user_message', None) or cause}"
    request_id = getattr(cause, "request_id", None)
    if request_id:
        reason += f" (Stripe request id {request_id})"
    if exc.code == "billing_unavailable":
        return (
            f"Stripe is unavailable or refused our key ({reason}). "
            "Nothing is half-done: run sync_stripe_plans again once Stripe answers."
        )
    return f"Stripe refused: {reason}"
