"""Staff views of memberships, invitations and the audit trail.

The Tenant page itself is workspaces.admin: it shows the tenant's subscription,
usage and lattice operations and sends its emails, and only the top app may import
billing, notifications and lattices.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tenants.models import AuditEvent, Invitation, Membership


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
