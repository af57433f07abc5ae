from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from tenants import services
from tenants.models import AuditEvent, Invitation, Membership, Tenant


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("user", "role", "is_active", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)


class SuspendForm(forms.Form):
    reason = forms.CharField(
        max_length=500, help_text="Shown to the tenant's members with every refused call."
    )


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "status", "billing_email", "created_at")
    list_filter = ("status",)
    search_fields = ("name", "slug", "billing_email")
    readonly_fields = ("id", "status", "suspended_reason", "created_at", "updated_at")
    inlines = [MembershipInline]
    actions = ["suspend", "reactivate"]

    @admin.action(description="Suspend the selected tenants…")
    def suspend(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> HttpResponse | None:
        form = SuspendForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            for tenant in queryset:
                services.suspend_tenant(
                    tenant=tenant,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
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


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "tenant", "role", "is_active", "created_at")
    list_filter = ("role", "is_active")
    search_fields = ("user__email", "tenant__name", "tenant__slug")
    list_select_related = ("user", "tenant")
    autocomplete_fields = ("user", "tenant")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """The token hash is not shown: it is useless to staff and sensitive."""

    list_display = ("email", "tenant", "role", "status", "created_at", "expires_at")
    list_filter = ("role",)
    search_fields = ("email", "tenant__name", "tenant__slug")
    list_select_related = ("tenant",)
    fields = (
        "tenant",
        "email",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "action", "tenant", "actor", "target", "ip_address")
    list_filter = ("action",)
    search_fields = ("action", "target", "tenant__name", "actor__email")
    list_select_related = ("tenant", "actor")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
