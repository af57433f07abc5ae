from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from rest_framework import serializers

from billing.plans import INTERVALS, PLANS
from catalytic.timestamps import iso_utc

PLAN_CODES = [plan.code for plan in PLANS]
PAID_PLAN_CODES = [plan.code for plan in PLANS if plan.is_paid]


class CheckoutSerializer(serializers.Serializer):
    # The same choices as elsewhere (one enum in the OpenAPI schema); Free is refused below.
    plan_code = serializers.ChoiceField(choices=PLAN_CODES)
    interval = serializers.ChoiceField(choices=INTERVALS, default="month")

    def validate_plan_code(self, value: str) -> str:
        if value not in PAID_PLAN_CODES:
            raise serializers.ValidationError("The Free plan needs no checkout.")
        return value


class SubscriptionCreateSerializer(serializers.Serializer):
    plan_code = serializers.ChoiceField(choices=PLAN_CODES)
    interval = serializers.ChoiceField(choices=INTERVALS, default="month")
    payment_method_id = serializers.CharField(
        required=False,
        max_length=255,
        validators=[
            RegexValidator(r"^(pm|card|src)_[A-Za-z0-9_]+$", "Not a Stripe payment method id.")
        ],
        help_text="A Stripe PaymentMethod (pm_...) to attach and make the default.",
    )


class SubscriptionUpdateSerializer(serializers.Serializer):
    plan_code = serializers.ChoiceField(choices=PLAN_CODES)
    interval = serializers.ChoiceField(
        choices=INTERVALS, required=False, help_text="Defaults to the current interval."
    )


class SubscriptionCancelSerializer(serializers.Serializer):
    at_period_end = serializers.BooleanField(
        default=True, help_text="false cancels at once (no refund of the current period)."
    )


class PlanRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class LimitsSerializer(serializers.Serializer):
    max_lattices = serializers.IntegerField(allow_null=True, help_text="null: unlimited.")
    max_dimensions = serializers.IntegerField(allow_null=True)
    max_lattice_size = serializers.IntegerField(allow_null=True)
    api_calls_per_month = serializers.IntegerField(allow_null=True)
    search_budget = serializers.IntegerField(allow_null=True)
    job_search_budget = serializers.IntegerField(
        help_text="Points a background job's path search may explore."
    )
    max_concurrent_jobs = serializers.IntegerField(
        help_text="Background jobs queued or running at once."
    )


class PlanSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    currency = serializers.CharField()
    price_monthly = serializers.DecimalField(max_digits=10, decimal_places=2)
    price_yearly = serializers.DecimalField(max_digits=10, decimal_places=2)
    trial_days = serializers.IntegerField()
    features = serializers.ListField(child=serializers.CharField())
    limits = LimitsSerializer()


_STATUS_DATETIMES = ("current_period_start", "current_period_end", "trial_end", "canceled_at")


class SubscriptionStatusSerializer(serializers.Serializer):
    tenant_id = serializers.UUIDField()
    plan = PlanRefSerializer()
    status = serializers.CharField()
    interval = serializers.CharField()
    current_period_start = serializers.DateTimeField(allow_null=True)
    current_period_end = serializers.DateTimeField(allow_null=True)
    cancel_at_period_end = serializers.BooleanField()
    trial_end = serializers.DateTimeField(allow_null=True)
    canceled_at = serializers.DateTimeField(allow_null=True)
    tenant_status = serializers.CharField()
    limits = LimitsSerializer(help_text="The limits in force (Free once a plan has lapsed).")
    usage = serializers.DictField(help_text="As GET /api/tenants/usage.")

    def to_representation(self, status: dict[str, Any]) -> dict[str, Any]:
        # Built directly, without rendering through the nested fields on every response.
        # The fields above stay the schema; tests/perf/test_serializers.py proves both
        # give the same JSON.
        out: dict[str, Any] = {}
        for name in STATUS_FIELDS:
            value = status[name]
            if name == "tenant_id":
                value = str(value)
            elif name == "plan":
                value = {"code": value["code"], "name": value["name"]}
            elif name == "limits":
                value = {key: value[key] for key in LIMIT_FIELDS}
            elif name in _STATUS_DATETIMES and value is not None:
                value = iso_utc(value)
            elif name == "cancel_at_period_end":
                value = bool(value)
            out[name] = value
        return out

    def field_based_representation(self, status: dict[str, Any]) -> Any:
        """DRF's own rendering through the declared fields (what to_representation mirrors)."""
        return super().to_representation(status)


# Field names in declaration order, read once: `.fields` copies every field on each call.
STATUS_FIELDS = tuple(SubscriptionStatusSerializer().fields)
LIMIT_FIELDS = tuple(LimitsSerializer().fields)


class StripeSubscriptionSerializer(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.CharField()
    plan_code = serializers.CharField(allow_null=True)
    interval = serializers.CharField()
    current_period_start = serializers.DateTimeField(allow_null=True)
    current_period_end = serializers.DateTimeField(allow_null=True)
    cancel_at_period_end = serializers.BooleanField()
    trial_end = serializers.DateTimeField(allow_null=True)
    canceled_at = serializers.DateTimeField(allow_null=True)
    created = serializers.DateTimeField(allow_null=True)
