from __future__ import annotations

from django.db import models
from django.utils import timezone

from billing.plans import format_price
from tenants.models import Tenant, TenantOwnedModel


class Plan(models.Model):
    """Database copy of `billing.plans.PLANS` (kept in line by `init_db`)."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    price_monthly = models.DecimalField(max_digits=10, decimal_places=2)
    price_yearly = models.DecimalField(max_digits=10, decimal_places=2)
    max_lattices = models.PositiveIntegerField(null=True, blank=True)
    max_dimensions = models.PositiveIntegerField(null=True, blank=True)
    max_lattice_size = models.PositiveIntegerField(null=True, blank=True)
    api_calls_per_month = models.PositiveIntegerField(null=True, blank=True)
    search_budget = models.PositiveIntegerField()
    trial_days = models.PositiveIntegerField(default=0)
    features = models.JSONField(default=list, blank=True)
    sort_order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    stripe_product_id = models.CharField(max_length=255, blank=True)
    stripe_price_monthly_id = models.CharField(max_length=255, blank=True)
    stripe_price_yearly_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["sort_order"]

    def __str__(self) -> str:
        return f"{self.name} ({format_price(self.price_monthly)}/month)"

    @property
    def is_paid(self) -> bool:
        return self.price_monthly > 0


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
