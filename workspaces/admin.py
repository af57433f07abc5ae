"""The staff's page for a tenant: its team, subscription, usage and latest operations.

A workflow page: it shows and acts on every app's rows (billing's subscription and
usage, lattices' operations, notifications' emails), so it lives with the workspace
workflows rather than in any one of those apps.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join

from billing.models import Subscription, UsageCounter
from billing.usage import usage_summary
from catalytic.errors import ServiceError
from lattices.models import LatticeOperation
from notifications import emails
from tenants import lifecycle, services
from tenants.models import Membership, Role, Tenant
from workspaces.purge import purge_tenant

RECENT_OPERATIONS = 15


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("user", "role", "is_active", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)


class SubscriptionInline(admin.StackedInline):
    """Billing state at a glance; it changes through Stripe and billing's admin only."""

    model = Subscription
    extra = 0
    can_delete = False
    fields = (
        "plan",
        "status",
        "interval",
        "current_period_end",
        "trial_end",
        "cancel_at_period_end",
        "stripe_customer_id",
        "stripe_subscription_id",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class UsageCounterInline(admin.TabularInline):
    model = UsageCounter
    extra = 0
    can_delete = False
    fields = ("period_start", "api_calls", "updated_at")
    readonly_fields = fields
    ordering = ("-period_start",)
    verbose_name_plural = "API calls by month"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SuspendForm(forms.Form):
    reason = forms.CharField(
        max_length=500, help_text="Shown to the tenant's members with every refused call."
    )


class TenantAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "slug",
        "status",
        "plan",
        "billing_email",
        "created_at",
        "closed_at",
        "purge_on",
    )
    list_filter = ("status", "subscription__plan")
    # Members' emails too: staff are usually asked about a tenant by a person.
    search_fields = ("name", "slug", "billing_email", "memberships__user__email")
    list_select_related = ("subscription__plan",)
    readonly_fields = (
        "id",
        "status",
        "suspended_reason",
        "closed_at",
        "purge_on",
        "purged_at",
        "usage",
        "recent_operations",
        "created_at",
        "updated_at",
    )
    inlines = [MembershipInline, SubscriptionInline, UsageCounterInline]
    actions = ["suspend", "reactivate", "resend_welcome", "restore_closed", "purge_now"]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        results, _ = super().get_search_results(request, queryset, search_term)
        # Searching across memberships joins many rows per tenant.
        return results.distinct(), False

    @admin.display(description="Plan", ordering="subscription__plan__sort_order")
    def plan(self, tenant: Tenant) -> str:
        subscription = getattr(tenant, "subscription", None)
        return subscription.plan.name if subscription else "—"

    @admin.display(description="Data purged on", ordering="closed_at")
    def purge_on(self, tenant: Tenant) -> str:
        if tenant.purged_at is not None:
            return f"purged {tenant.purged_at:%Y-%m-%d}"
        due = lifecycle.purge_due_at(tenant)
        return f"{due:%Y-%m-%d}" if due else "—"

    @admin.display(description="Usage this month")
    def usage(self, tenant: Tenant) -> str:
        summary = usage_summary(tenant)

        def limit(value: int | None) -> str:
            return "unlimited" if value is None else f"{value:,}"

        calls, lattices = summary["api_calls"], summary["lattices"]
        return format_html(
            "API calls {} of {} · lattices {} of {} (period {} to {})",
            f"{calls['used']:,}",
            limit(calls["limit"]),
            lattices["used"],
            limit(lattices["limit"]),
            summary["period_start"],
            summary["period_end"],
        )

    @admin.display(description="Recent operations")
    def recent_operations(self, tenant: Tenant) -> str:
        operations = (
            LatticeOperation.objects.for_tenant(tenant)
            .select_related("lattice", "actor")
            .order_by("-created_at")[:RECENT_OPERATIONS]
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} ms</td><td>{}</td></tr>",
            (
                (
                    op.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                    op.lattice.name if op.lattice else "—",
                    op.get_kind_display(),
                    op.status,
                    f"{op.duration_ms:.1f}",
                    op.actor or "API key",
                )
                for op in operations
            ),
        )
        if not rows:
            return "No operations yet."
        return format_html(
            "<table><tr><th>When</th><th>Lattice</th><th>Operation</th><th>Status</th>"
            "<th>Duration</th><th>By</th></tr>{}</table>",
            rows,
        )

    @admin.action(description="Suspend the selected tenants…")
    def suspend(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> HttpResponse | None:
        form = SuspendForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            for tenant in queryset:
                with transaction.atomic():
                    services.suspend_tenant(
                        tenant=tenant, actor=request.user, reason=reason, request=request
                    )
                    emails.send_account_suspended(tenant=tenant, reason=reason)
            self.message_user(request, f"Suspended {queryset.count()} tenant(s).")
            return None
        return TemplateResponse(
            request,
            "admin/tenants/tenant/suspend.html",
            {
                **self.admin_site.each_context(request),
                "title": "Suspend tenants",
                "tenants": queryset,
                "form": form,
                "opts": self.model._meta,
            },
        )

    @admin.action(description="Reactivate the selected tenants")
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        count = 0
        for tenant in queryset.exclude(status=Tenant.Status.ACTIVE):
            services.reactivate_tenant(tenant=tenant, actor=request.user, request=request)
            count += 1
        self.message_user(request, f"Reactivated {count} tenant(s).", messages.SUCCESS)

    @admin.action(description="Resend the welcome email to the owners")
    def resend_welcome(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        sent = 0
        for tenant in queryset:
            owners = Membership.objects.for_tenant(tenant).active().filter(role=Role.OWNER)
            with transaction.atomic():
                for membership in owners.select_related("user"):
                    emails.send_welcome(user=membership.user, tenant=tenant)
                    sent += 1
        self.message_user(request, f"Queued {sent} welcome email(s).", messages.SUCCESS)

    @admin.action(description="Restore the selected closed workspaces")
    def restore_closed(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        restored = 0
        for tenant in queryset:
            try:
                lifecycle.restore_tenant(tenant=tenant, actor=request.user, request=request)
            except ServiceError as exc:
                self.message_user(request, f"{tenant.slug}: {exc.message}", messages.ERROR)
            else:
                restored += 1
        self.message_user(request, f"Restored {restored} workspace(s).", messages.SUCCESS)

    @admin.action(description="Purge the selected closed workspaces now…")
    def purge_now(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> HttpResponse | None:
        closed = queryset.filter(status=Tenant.Status.DELETED, purged_at__isnull=True)
        if "apply" in request.POST:
            purged = 0
            for tenant in closed:
                purge_tenant(tenant=tenant, actor=request.user, request=request)
                purged += 1
            skipped = queryset.count() - purged
            note = f"; {skipped} not closed or already purged, left alone" if skipped else ""
            self.message_user(request, f"Purged {purged} workspace(s){note}.", messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/tenants/tenant/purge.html",
            {
                **self.admin_site.each_context(request),
                "title": "Purge closed workspaces",
                "tenants": closed,
                "selected": queryset,
                "opts": self.model._meta,
            },
        )


admin.site.register(Tenant, TenantAdmin)
