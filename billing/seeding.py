from __future__ import annotations

from collections.abc import Iterator

from django.db import transaction

from billing.models import Plan
from billing.plans import PLANS

SYNCED_FIELDS = (
    "name",
    "price_monthly",
    "price_yearly",
    "max_lattices",
    "max_dimensions",
    "max_lattice_size",
    "api_calls_per_month",
    "search_budget",
    "trial_days",
)


def seed_plans() -> Iterator[tuple[str, Plan]]:
    """Bring the Plan rows in line with billing.plans.PLANS.

    Yields ("created" | "updated" | "unchanged", plan) for each plan, so running
    it again is safe and reports that nothing changed.
    """
    with transaction.atomic():
        for order, spec in enumerate(PLANS):
            wanted = {name: getattr(spec, name) for name in SYNCED_FIELDS}
            wanted["features"] = list(spec.features)
            wanted["sort_order"] = order
            plan = Plan.objects.select_for_update().filter(code=spec.code).first()
            if plan is None:
                yield "created", Plan.objects.create(code=spec.code, **wanted)
                continue
            changed = [name for name, value in wanted.items() if getattr(plan, name) != value]
            if changed:
                for name in changed:
                    setattr(plan, name, wanted[name])
                plan.save(update_fields=changed)
                yield "updated", plan
            else:
                yield "unchanged", plan
