"""Staff views of plans and of each tenant's billing state.

Plans are read-only here but for `is_active`: what they cost and allow is
billing/plans.py's (shown, not stored); the Stripe ids come from sync_stripe_plans.
Subscriptions link to the dj-stripe objects they were derived from.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from djstripe.models import Customer
from djstripe.models import Subscription as StripeSubscription

from billing.models import Plan, Subscription, UsageCounter
from billing.state import sync_tenant_subscription


def _djstripe_link(model: Any, stripe_id: str) -> str:
    if not stripe_id:
        return "—"
    row = model.objects.filter(id=stripe_id).only("djstripe_id").first()
    if row is None:
        return stripe_id
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.djstripe_id])
    return format_html('<a href="{}">{}</a>', url, stripe_id)


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "price_monthly",
        "price_yearly",
        "max_lattices",
        "api_calls_per_month",
        "trial_days",
        "is_active",
        "stripe_price_monthly_id",
        "stripe_price_yearly_id",
    )
    ordering = ("sort_order",)
    # Everything but is_active comes from billing/plans.py or from sync_stripe_plans.
    readonly_fields = (
        "code",
        "name",
        "price_monthly",
        "price_yearly",
        "max_lattices",
        "max_dimensions",
        "max_lattice_size",
        "api_calls_per_month",
        "search_budget",
        "trial_days",
        "features",
        "sort_order",
        "stripe_product_id",
        "stripe_price_monthly_id",
        "stripe_price_yearly_id",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = (
        "tenant",
        "plan",
        "status",
        "interval",
        "current_period_end",
        "cancel_at_period_end",
        "tenant_status",
    )
    list_filter = ("plan", "status", "cancel_at_period_end", "tenant__status")
    search_fields = (
        "tenant__name",
        "tenant__slug",
        "tenant__billing_email",
        "stripe_customer_id",
        "stripe_subscription_id",
    )
    list_select_related = ("tenant", "plan")
    readonly_fields = (
        "tenant",
        "plan",
        "status",
        "interval",
        "current_period_start",
        "current_period_end",
        "trial_end",
        "cancel_at_period_end",
        "canceled_at",
        "stripe_customer",
        "stripe_subscription",
        "stripe_event_created",
        "created_at",
        "updated_at",
    )
    exclude = ("stripe_customer_id", "stripe_subscription_id")
    actions = ("resync_from_stripe_rows",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Tenant status", ordering="tenant__status")
    def tenant_status(self, obj: Subscription) -> str:
        return obj.tenant.get_status_display()

    @admin.display(description="Stripe customer")
    def stripe_customer(self, obj: Subscription) -> str:
        return _djstripe_link(Customer, obj.stripe_customer_id)

    @admin.display(description="Stripe subscription")
    def stripe_subscription(self, obj: Subscription) -> str:
        return _djstripe_link(StripeSubscription, obj.stripe_subscription_id)

    @admin.action(description="Recompute from the stored Stripe subscriptions")
    def resync_from_stripe_rows(self, request: HttpRequest, queryset: QuerySet) -> None:
        for subscription in queryset.select_related("tenant"):
            sync_tenant_subscription(
                tenant=subscription.tenant, actor=request.user, source="admin", request=request
            )
        self.message_user(
            request, f"Recomputed {queryset.count()} subscription(s).", messages.SUCCESS
        )


@admin.register(UsageCounter)
class UsageCounterAdmin(admin.ModelAdmin):
    list_display = ("tenant", "period_start", "api_calls", "updated_at")
    list_filter = ("period_start",)
    search_fields = ("tenant__name", "tenant__slug")
    readonly_fields = ("tenant", "period_start", "api_calls", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
