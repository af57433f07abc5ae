from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.forms import UserCreationForm as DjangoUserCreationForm
from django.http import HttpRequest

from accounts.api_keys import revoke_api_key
from accounts.models import ApiKey, TokenFamily, User
from tenants.models import Membership


class UserCreationForm(DjangoUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeForm(DjangoUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("tenant", "role", "is_active", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("tenant",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("email", "first_name", "last_name")
    readonly_fields = ("last_login", "date_joined")
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are listed and revoked here; the hash is never shown and keys are not made here."""

    list_display = ("name", "tenant", "prefix", "scope", "created_at", "last_used_at", "state")
    list_filter = ("scope",)
    search_fields = ("name", "prefix", "tenant__name", "tenant__slug")
    list_select_related = ("tenant",)
    fields = (
        "tenant",
        "name",
        "prefix",
        "scope",
        "created_by",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    readonly_fields = fields
    actions = ["revoke"]

    @admin.display(description="State")
    def state(self, api_key: ApiKey) -> str:
        if api_key.revoked_at:
            return "revoked"
        return "expired" if api_key.is_expired else "active"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for api_key in queryset.filter(revoked_at__isnull=True).select_related("tenant"):
            revoke_api_key(
                tenant=api_key.tenant, actor=request.user, api_key=api_key, request=request
            )


@admin.register(TokenFamily)
class TokenFamilyAdmin(admin.ModelAdmin):
    """Read-only view of sign-in sessions (simplejwt's own admin lists their tokens)."""

    list_display = ("user", "membership", "created_at", "expires_at", "revoked_at")
    search_fields = ("user__email", "id")
    list_select_related = ("user", "membership__tenant")
    readonly_fields = [field.name for field in TokenFamily._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
