"""Billing pages: public pricing, and for owners/admins the plan, payment and invoices.

Plan changes call the same services as the subscription API (`billing.services`): a paid
plan without a Stripe subscription goes through Checkout, one with a subscription is
changed in place (prorated), and cancelling ends the paid plan at the period's end.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from djstripe.models import Invoice

from billing import services
from billing.customers import customer_for_tenant
from billing.forms import ChangePlanForm
from billing.limits import tenant_plan
from billing.models import Plan
from billing.plans import get_plan_spec
from billing.state import subscription_for
from billing.stripe_client import billing_configured
from billing.usage_report import month_usage
from catalytic.errors import ServiceError
from notifications.rendering import format_amount
from tenants.models import Role
from tenants.page_auth import optional_tenant, role_required

INVOICE_ROWS = 24


def _plans() -> list[Plan]:
    return list(Plan.objects.filter(is_active=True).order_by("sort_order"))


@optional_tenant
def pricing(request: HttpRequest) -> HttpResponse:
    membership = getattr(request, "membership", None)
    current = tenant_plan(membership.tenant).code if membership is not None else None
    return render(request, "billing/pricing.html", {"plans": _plans(), "current": current})


def _invoices(tenant: Any) -> list[dict[str, Any]]:
    """The tenant's invoices as dj-stripe stored them from Stripe's webhooks (no Stripe call)."""
    customer = customer_for_tenant(tenant)
    if customer is None:
        return []
    rows = []
    for invoice in Invoice.objects.filter(customer=customer).order_by("-created")[:INVOICE_ROWS]:
        data = invoice.stripe_data or {}
        currency = data.get("currency") or "usd"
        created = invoice.created or _from_timestamp(data.get("created"))
        rows.append(
            {
                "number": data.get("number") or invoice.id,
                "created": created,
                "status": data.get("status") or "",
                "total": format_amount(int(data.get("total") or 0), currency),
                "paid": format_amount(int(data.get("amount_paid") or 0), currency),
                "url": data.get("hosted_invoice_url") or "",
                "pdf": data.get("invoice_pdf") or "",
            }
        )
    return rows


def _from_timestamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


@never_cache
@role_required(Role.ADMIN)
def overview(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    outcome = request.GET.get("checkout")
    if outcome == "success":
        messages.success(
            request, "Thank you! Your new plan shows here as soon as Stripe confirms the payment."
        )
    elif outcome == "cancelled":
        messages.info(request, "Checkout was cancelled; your plan has not changed.")
    subscription = subscription_for(tenant)
    suggested = request.GET.get("plan", "")
    return render(
        request,
        "billing/overview.html",
        {
            "subscription": subscription,
            "plan": tenant_plan(tenant),
            "plans": _plans(),
            "suggested": suggested,
            "configured": billing_configured(),
            "invoices": _invoices(tenant),
            "usage": month_usage(tenant),
        },
    )


@require_POST
@role_required(Role.ADMIN)
def change_plan(request: HttpRequest) -> HttpResponse:
    form = ChangePlanForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the plans.")
        return redirect("billing:overview")
    tenant, code = request.tenant, form.cleaned_data["plan"]
    interval = form.cleaned_data["interval"]
    spec = get_plan_spec(code)
    try:
        if spec.is_paid:
            try:
                session = services.start_checkout(
                    tenant=tenant, actor=request.user, plan_code=code, interval=interval
                )
            except ServiceError as exc:
                if exc.code != "subscription_exists":
                    raise
                # Already paying through Stripe: change the subscription in place (prorated).
                services.change_plan(
                    tenant=tenant,
                    actor=request.user,
                    plan_code=code,
                    interval=interval,
                    request=request,
                )
            else:
                # 303: the browser follows with a GET to Stripe's hosted Checkout page.
                response = HttpResponseRedirect(session["url"])
                response.status_code = 303
                return response
        else:
            services.change_plan(tenant=tenant, actor=request.user, plan_code=code, request=request)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("billing:overview")
    messages.success(request, f"You are now on the {spec.name} plan.")
    return redirect("billing:overview")


@never_cache
@role_required(Role.ADMIN)
def portal(request: HttpRequest) -> HttpResponse:
    """Straight to Stripe's Billing Portal (the "pay now" link of banners and emails)."""
    try:
        session = services.open_portal(tenant=request.tenant, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("billing:overview")
    return redirect(session["url"])


@require_POST
@role_required(Role.ADMIN)
def cancel(request: HttpRequest) -> HttpResponse:
    try:
        subscription = services.cancel_subscription(
            tenant=request.tenant, actor=request.user, at_period_end=True, request=request
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("billing:overview")
    if subscription.cancel_at_period_end and subscription.current_period_end:
        when = subscription.current_period_end.strftime("%B %-d, %Y")
        messages.success(
            request, f"Your subscription ends on {when}; you keep your plan until then."
        )
    else:
        messages.success(request, f"You are now on the {subscription.plan.name} plan.")
    return redirect("billing:overview")
