"""`init_db`'s plan step: a `billing.Plan` row for every plan of billing.plans."""

from __future__ import annotations

from collections.abc import Iterator

from django.db import transaction

from billing.models import Plan
from billing.plans import PLANS


def seed_plans() -> Iterator[tuple[str, Plan]]:
    """Give every plan of billing.plans.PLANS its row, in the order PLANS lists them.

    Yields ("created" | "updated" | "unchanged", plan) for each plan, so running it again
    is safe and reports that nothing changed. Only the row's key and position are
    written: what a plan costs and allows stays in the code (billing.plans).
    """
    with transaction.atomic():
        for order, spec in enumerate(PLANS):
            plan = Plan.objects.select_for_update().filter(code=spec.code).first()
            if plan is None:
                yield "created", Plan.objects.create(code=spec.code, sort_order=order)
            elif plan.sort_order != order:
                plan.sort_order = order
                plan.save(update_fields=["sort_order"])
                yield "updated", plan
            else:
                yield "unchanged", plan
