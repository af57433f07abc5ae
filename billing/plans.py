"""The plan table: the one place that says what each plan costs and allows.

Why the code and not the rows: every metered request asks its plan's limits, and the
request path may not spend a query on them (docs/performance.md); a frozen table in
the code is read at no cost, is the same on every node, changes through review, a
deploy and the tests like any rule of the product, and it is what the deployment
guide's four plans and `init_db` are checked against. The `billing.Plan` rows hold
only what the database needs (the key subscriptions point to, whether staff still
offer the plan, the ids Stripe gave its prices) and read everything else from here
(`Plan.spec`); `init_db` creates a missing row ("Created plan") and reports the
others ("Unchanged plan"). `plan_limit()` (billing.limits) answers every "is this
allowed" question for views, API permissions and the admin alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

UNLIMITED = None  # a limit of None means "no limit" (Enterprise)
INTERVALS = ("month", "year")
LOOKUP_KEY_PREFIX = "catalytic"


def format_price(amount: Decimal) -> str:
    """A plan price as people read it: `$4,990`, with cents only when there are some."""
    places = 0 if amount == amount.to_integral_value() else 2
    return f"${amount:,.{places}f}"


LIMIT_NAMES = (
    "max_lattices",
    "max_dimensions",
    "max_lattice_size",
    "api_calls_per_month",
    "search_budget",
    "job_search_budget",
    "max_concurrent_jobs",
)


@dataclass(frozen=True)
class PlanSpec:
    code: str
    name: str
    price_monthly: Decimal
    price_yearly: Decimal
    max_lattices: int | None
    max_dimensions: int | None
    max_lattice_size: int | None
    api_calls_per_month: int | None
    # Points an obstructed path search may explore before it is stopped (422).
    search_budget: int
    # A background job (POST ... "async": true) searches further than a request may:
    # it holds a worker, not a web process. Free 1x, Starter 5x, Professional 10x and
    # Enterprise 100x the request budget.
    job_search_budget: int
    # Jobs of the tenant queued or running at once; one more is refused (429 too_many_jobs).
    max_concurrent_jobs: int
    trial_days: int
    features: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_paid(self) -> bool:
        return self.price_monthly > 0

    def limits(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in LIMIT_NAMES}

    def price(self, interval: str) -> Decimal:
        if interval not in INTERVALS:
            raise ValueError(f"unknown interval {interval!r}; choose one of {', '.join(INTERVALS)}")
        return self.price_monthly if interval == "month" else self.price_yearly

    def price_cents(self, interval: str) -> int:
        return int(self.price(interval) * 100)


PLANS: tuple[PlanSpec, ...] = (
    PlanSpec(
        code="free",
        name="Free",
        price_monthly=Decimal("0.00"),
        price_yearly=Decimal("0.00"),
        max_lattices=5,
        max_dimensions=3,
        max_lattice_size=10,
        api_calls_per_month=1_000,
        search_budget=10_000,
        job_search_budget=10_000,
        max_concurrent_jobs=1,
        trial_days=0,
        features=("Up to 5 lattices", "3 dimensions", "Community support"),
    ),
    PlanSpec(
        code="starter",
        name="Starter",
        price_monthly=Decimal("29.00"),
        price_yearly=Decimal("290.00"),
        max_lattices=50,
        max_dimensions=5,
        max_lattice_size=50,
        api_calls_per_month=10_000,
        search_budget=200_000,
        job_search_budget=1_000_000,
        max_concurrent_jobs=2,
        trial_days=14,
        features=("Up to 50 lattices", "5 dimensions", "Email support"),
    ),
    PlanSpec(
        code="professional",
        name="Professional",
        price_monthly=Decimal("99.00"),
        price_yearly=Decimal("990.00"),
        max_lattices=500,
        max_dimensions=10,
        max_lattice_size=100,
        api_calls_per_month=100_000,
        search_budget=2_000_000,
        job_search_budget=20_000_000,
        max_concurrent_jobs=5,
        trial_days=14,
        features=("Up to 500 lattices", "10 dimensions", "Priority support"),
    ),
    PlanSpec(
        code="enterprise",
        name="Enterprise",
        price_monthly=Decimal("499.00"),
        price_yearly=Decimal("4990.00"),
        max_lattices=UNLIMITED,
        max_dimensions=UNLIMITED,
        max_lattice_size=UNLIMITED,
        api_calls_per_month=UNLIMITED,
        search_budget=10_000_000,
        job_search_budget=1_000_000_000,
        max_concurrent_jobs=20,
        trial_days=14,
        features=("Unlimited lattices", "Unlimited API calls", "Dedicated support"),
    ),
)

PLANS_BY_CODE = {plan.code: plan for plan in PLANS}
DEFAULT_PLAN_CODE = "free"


def get_plan_spec(code: str) -> PlanSpec:
    try:
        return PLANS_BY_CODE[code]
    except KeyError:
        raise KeyError(f"unknown plan {code!r}; choose one of {', '.join(PLANS_BY_CODE)}")


def next_plan_up(code: str) -> PlanSpec | None:
    """The plan to suggest when `code` runs out of room."""
    codes = [plan.code for plan in PLANS]
    index = codes.index(code)
    return PLANS[index + 1] if index + 1 < len(PLANS) else None


def stripe_lookup_key(code: str, interval: str) -> str:
    """The Stripe Price lookup key of a plan's price: stable across re-created prices."""
    return f"{LOOKUP_KEY_PREFIX}_{code}_{interval}"


def parse_lookup_key(key: str | None) -> tuple[str, str] | None:
    """(plan code, interval) of one of our lookup keys, or None for anything else."""
    if not key:
        return None
    prefix, _, rest = key.partition("_")
    code, _, interval = rest.rpartition("_")
    if prefix != LOOKUP_KEY_PREFIX or code not in PLANS_BY_CODE or interval not in INTERVALS:
        return None
    return code, interval
