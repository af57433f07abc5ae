"""Plans, Stripe Checkout/Portal, and the subscription API.

Their paths are a contract with existing clients: tests/security/test_openapi.py's
REQUIRED_OPERATIONS holds them.
"""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import services
from billing.api.serializers import (
    CheckoutSerializer,
    PlanSerializer,
    StripeSubscriptionSerializer,
    SubscriptionCancelSerializer,
    SubscriptionCreateSerializer,
    SubscriptionStatusSerializer,
    SubscriptionUpdateSerializer,
)
from billing.limits import tenant_plan
from billing.models import Plan, Subscription
from billing.plans import get_plan_spec
from billing.state import (
    period_of,
    resolve_plan,
    stripe_subscriptions_of,
    subscription_for,
    timestamp_to_datetime,
)
from billing.stripe_client import require_billing
from billing.usage import usage_summary
from catalytic.errors import ServiceError
from tenants import idempotency
from tenants.models import Tenant
from tenants.permissions import IsAdmin, IsTenantMember
from tenants.viewsets import TenantAPIView

CheckoutResponse = inline_serializer(
    name="CheckoutSession",
    fields={"session_id": serializers.CharField(), "url": serializers.URLField()},
)
PortalResponse = inline_serializer(name="PortalSession", fields={"url": serializers.URLField()})


def loaded_subscription(tenant: Tenant) -> Subscription:
    """The subscription the authentication loaded with the tenant (else its row)."""
    try:
        return tenant.subscription
    except Subscription.DoesNotExist:
        return subscription_for(tenant)  # never had one: this puts the tenant on Free


def subscription_status(tenant: Tenant, local: Subscription | None = None) -> dict[str, Any]:

    if local is None:
        local = subscription_for(tenant)
    tenant.subscription = local  # the response and what follows see this row
    return {
        "tenant_id": str(tenant.id),
        "plan": {"code": local.plan.code, "name": local.plan.name},
        "status": local.status,
        "interval": local.interval,
        "current_period_start": local.current_period_start,
        "current_period_end": local.current_period_end,
        "cancel_at_period_end": local.cancel_at_period_end,
        "trial_end": local.trial_end,
        "canceled_at": local.canceled_at,
        "tenant_status": tenant.status,
        "limits": tenant_plan(tenant).limits(),
        "usage": usage_summary(tenant),
    }


def _status_response(tenant: Tenant, local: Subscription, status_code: int = 200) -> Response:
    payload = SubscriptionStatusSerializer(subscription_status(tenant, local)).data
    return Response(payload, status=status_code)


class PlansView(APIView):
    """GET /api/plans: public, for the pricing page."""

    permission_classes = [AllowAny]
    # Public: a stale or malformed token must not turn the pricing page into a 401.
    authentication_classes: list = []

    @extend_schema(
        summary="Plans with prices and limits",
        responses={200: inline_serializer("PlanList", {"plans": PlanSerializer(many=True)})},
    )
    def get(self, request: Request) -> Response:
        plans = []
        for plan in Plan.objects.filter(is_active=True).order_by("sort_order"):
            spec = get_plan_spec(plan.code)
            plans.append(
                {
                    "code": plan.code,
                    "name": plan.name,
                    "currency": "usd",
                    "price_monthly": plan.price_monthly,
                    "price_yearly": plan.price_yearly,
                    "trial_days": plan.trial_days,
                    "features": list(plan.features),
                    "limits": spec.limits(),
                }
            )
        return Response({"plans": PlanSerializer(plans, many=True).data})


class CheckoutView(idempotency.IdempotentMixin, TenantAPIView):
    permission_classes = [IsAdmin]
    idempotent_actions = ("post",)

    @extend_schema(
        summary="Start a Stripe Checkout session for a paid plan",
        request=CheckoutSerializer,
        parameters=[idempotency.PARAMETER],
        responses={
            200: CheckoutResponse,
            **idempotency.schema_errors(),
            409: OpenApiResponse(description="Already subscribed, or `idempotency_key_in_use`."),
        },
    )
    def post(self, request: Request) -> Response:
        require_billing()
        serializer = CheckoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.start_checkout(
            tenant=self.tenant,
            actor=request.user,
            plan_code=serializer.validated_data["plan_code"],
            interval=serializer.validated_data["interval"],
        )
        return Response(result)


class PortalView(TenantAPIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        summary="Open the Stripe Billing Portal", request=None, responses={200: PortalResponse}
    )
    def post(self, request: Request) -> Response:
        require_billing()
        return Response(services.open_portal(tenant=self.tenant, actor=request.user))


class StripeSubscriptionsView(TenantAPIView):
    """The tenant's Stripe subscriptions as dj-stripe stored them (no Stripe call)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        summary="The tenant's Stripe subscriptions",
        responses={
            200: inline_serializer(
                "StripeSubscriptionList",
                {"subscriptions": StripeSubscriptionSerializer(many=True)},
            )
        },
    )
    def get(self, request: Request) -> Response:
        require_billing()
        rows = []
        for sub in stripe_subscriptions_of(self.tenant).order_by("-created", "-djstripe_id"):
            data = sub.stripe_data
            plan, interval = resolve_plan(data)
            start, end = period_of(data)
            rows.append(
                {
                    "id": sub.id,
                    "status": data.get("status") or "",
                    "plan_code": plan.code if plan is not None else None,
                    "interval": interval,
                    "current_period_start": start,
                    "current_period_end": end,
                    "cancel_at_period_end": bool(data.get("cancel_at_period_end")),
                    "trial_end": timestamp_to_datetime(data.get("trial_end")),
                    "canceled_at": timestamp_to_datetime(data.get("canceled_at")),
                    "created": timestamp_to_datetime(data.get("created")),
                }
            )
        return Response({"subscriptions": StripeSubscriptionSerializer(rows, many=True).data})


class SubscriptionCreateView(TenantAPIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        summary="Subscribe to a plan",
        request=SubscriptionCreateSerializer,
        responses={
            201: SubscriptionStatusSerializer,
            402: OpenApiResponse(description="payment_method_required or card_declined"),
            409: OpenApiResponse(description="subscription_exists"),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = SubscriptionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        local = services.create_subscription(
            tenant=self.tenant,
            actor=request.user,
            plan_code=data["plan_code"],
            interval=data["interval"],
            payment_method_id=data.get("payment_method_id"),
            request=request,
        )
        return _status_response(self.tenant, local, status_code=201)


class SubscriptionUpdateView(TenantAPIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        summary="Change plan (prorated)",
        request=SubscriptionUpdateSerializer,
        responses={200: SubscriptionStatusSerializer},
    )
    def put(self, request: Request) -> Response:
        serializer = SubscriptionUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        local = services.change_plan(
            tenant=self.tenant,
            actor=request.user,
            plan_code=data["plan_code"],
            interval=data.get("interval"),
            request=request,
        )
        return _status_response(self.tenant, local)


class SubscriptionCancelView(TenantAPIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        summary="Cancel the subscription",
        request=SubscriptionCancelSerializer,
        responses={200: SubscriptionStatusSerializer},
    )
    def delete(self, request: Request) -> Response:
        serializer = SubscriptionCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        local = services.cancel_subscription(
            tenant=self.tenant,
            actor=request.user,
            at_period_end=serializer.validated_data["at_period_end"],
            request=request,
        )
        return _status_response(self.tenant, local)


class SubscriptionStatusView(TenantAPIView):
    """Any member may read their own tenant's status; any other id is a 404."""

    permission_classes = [IsTenantMember]

    @extend_schema(summary="Subscription status", responses={200: SubscriptionStatusSerializer})
    def get(self, request: Request, tenant_id: str) -> Response:
        try:
            wanted = uuid.UUID(tenant_id)
        except ValueError:
            wanted = None
        # SECURITY: the tenant comes from the credentials; the path only has to match
        # it. Another tenant's id answers exactly like an unknown one (no existence leak).
        if wanted != self.context.tenant_id:
            raise ServiceError("Not found.", code="not_found", status=404)
        return _status_response(self.tenant, loaded_subscription(self.tenant))
