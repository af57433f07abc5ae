"""Staff see customers' webhook endpoints and deliveries (never the signing secret)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from webhooks.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "tenant", "is_active", "failing_since", "created_at")
    list_filter = ("is_active", ("tenant", admin.RelatedOnlyFieldListFilter))
    search_fields = ("url", "description")
    list_select_related = ("tenant",)
    # SECURITY: the secret signs the customer's events; staff have no use for it.
    exclude = ("secret",)
    readonly_fields = [f.name for f in WebhookEndpoint._meta.fields if f.name != "secret"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # endpoints are registered through the checks of webhooks.services


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "event", "endpoint", "status", "attempts", "last_status_code")
    list_filter = ("status",)
    date_hierarchy = "created_at"
    list_select_related = ("event", "endpoint")
    # A record of what was sent: staff read it, the workers write it.
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
