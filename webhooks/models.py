"""Outgoing webhooks: a tenant's endpoints, the events that happened, and one delivery
row per (event, endpoint), which is the durable outbox the workers drain."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from tenants.models import TenantOwnedModel


class WebhookEndpoint(TenantOwnedModel):
    """Where a tenant wants its events POSTed, and the secret that signs them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    url = models.URLField(max_length=2000)
    # Event type names (tenants.events.EVENT_TYPES) this endpoint receives.
    events = models.JSONField(default=list)
    description = models.CharField(max_length=200, blank=True)
    # Kept as written: every delivery is signed with it (HMAC needs the secret itself).
    secret = models.CharField(max_length=80)
    is_active = models.BooleanField(default=True)
    # The first failure since the last success; after WEBHOOK_DISABLE_AFTER the endpoint
    # is disabled (disabled_reason says why) and its owners are emailed.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.url


class WebhookEvent(TenantOwnedModel):
    """One thing that happened (`{"id", "type", "created", "data"}` is its body)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class WebhookDelivery(TenantOwnedModel):
    """One event on its way to one endpoint, with its last attempt's outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    # When a worker may next try; while `sending`, the end of the claiming worker's lease.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_due_idx")]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.status})"
