from __future__ import annotations

from django.db import models
from django.utils import timezone

from billing.plans import PlanSpec, format_price, get_plan_spec
from tenants.models import Tenant, TenantOwnedModel


def _from_spec(name: str) -> property:
    """A Plan row's `name`, read from its PlanSpec (the code), never stored."""
    return property(lambda plan: getattr(plan.spec, name), doc=f"PlanSpec.{name} of this plan.")


class Plan(models.Model):
    """A plan as the database needs it: the row subscriptions point to, and what only the
    database knows of it. What a plan costs and allows is billing.plans' (see its
    docstring); this row holds none of it and reads it from there (`spec`).

    Stored: `code` (the key, which PlanSpec and the authentication query join on),
    `is_active` (whether staff still offer it), the Stripe ids `sync_stripe_plans` gets
    back from Stripe, and `sort_order`, the plan's position in billing.plans.PLANS, kept
    by `init_db` because SQL orders by it (admin lists, `order_by`).
    """

    code = models.SlugField(max_length=32, unique=True)
    sort_order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    stripe_product_id = models.CharField(max_length=255, blank=True)
    stripe_price_monthly_id = models.CharField(max_length=255, blank=True)
    stripe_price_yearly_id = models.CharField(max_length=255, blank=True)

    name = _from_spec("name")
    price_monthly = _from_spec("price_monthly")
    price_yearly = _from_spec("price_yearly")
    trial_days = _from_spec("trial_days")
    features = _from_spec("features")
    is_paid = _from_spec("is_paid")
    max_lattices = _from_spec("max_lattices")
    max_dimensions = _from_spec("max_dimensions")
    max_lattice_size = _from_spec("max_lattice_size")
    api_calls_per_month = _from_spec("api_calls_per_month")
    search_budget = _from_spec("search_budget")

    class Meta:
        ordering = ["sort_order"]

    def __str__(self) -> str:
        return f"{self.name} ({format_price(self.price_monthly)}/month)"

    @property
    def spec(self) -> PlanSpec:
        return get_plan_spec(self.code)


class Subscription(models.Model):
    """The tenant's current plan and billing state, derived from Stripe when paid."""

    class Status(models.TextChoices):
        TRIALING = "trialing", "Trialing"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due"
        UNPAID = "unpaid", "Unpaid"
        CANCELED = "canceled", "Canceled"
        INCOMPLETE = "incomplete", "Incomplete"
        INCOMPLETE_EXPIRED = "incomplete_expired", "Incomplete expired"
        PAUSED = "paused", "Paused"

    class Interval(models.TextChoices):
        MONTH = "month", "Monthly"
        YEAR = "year", "Yearly"

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="subscription")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.ACTIVE)
    interval = models.CharField(max_length=8, choices=Interval.choices, default=Interval.MONTH)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    trial_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    canceled_at = models.DateTimeField(null=True, blank=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True, db_index=True)
    # Stripe's `created` of the last event applied, so older events never overwrite newer.
    stripe_event_created = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.tenant} on {self.plan.code} ({self.status})"

    # The facts billing.limits reads, as tenants.context.SubscriptionFacts holds them:
    # a caller's subscription is either, and the limits ask both the same way.
    @property
    def plan_code(self) -> str:
        return self.plan.code

    @property
    def trial_ended(self) -> bool:
        return self.trial_end is not None and self.trial_end <= timezone.now()


class UsageCounter(TenantOwnedModel):
    """Metered API calls of one tenant in one calendar month (UTC), durable truth."""

    period_start = models.DateField()
    api_calls = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "period_start"], name="uniq_usage_period")
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.period_start}: {self.api_calls}"


class DailyUsage(TenantOwnedModel):
    """Metered calls of one tenant on one day (UTC) by one caller: the usage history.

    Written by the same statement that spends the call (billing.usage), so the days of
    a month always add up to its `UsageCounter`. `who` ("user:<uuid>" or "key:<uuid>")
    is the caller in the unique key: unlike the two nullable foreign keys it never
    becomes NULL, so a deleted account or API key keeps its own rows instead of
    merging with another's. Names are read through the foreign keys when shown.
    """

    day = models.DateField()
    who = models.CharField(max_length=48)
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey(
        "accounts.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    calls = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "day", "who"], name="uniq_daily_usage_who")
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.day} {self.who}: {self.calls}"


class UsageWarning(TenantOwnedModel):
    """A usage warning sent to a tenant: at most one per period and threshold."""

    period_start = models.DateField()
    threshold = models.PositiveSmallIntegerField()  # percent of the monthly calls
    used = models.PositiveBigIntegerField()
    limit = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "period_start", "threshold"], name="uniq_usage_warning"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.period_start}: {self.threshold}%"
