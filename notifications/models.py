"""The durable outbox and the suppression list.

Every email is a row before it is a network call: callers enqueue inside their
own transaction, so a rolled-back sign-up leaves no message behind, and a
provider outage only delays delivery (the row waits with a backoff) instead of
losing the email.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from notifications.providers import delivered_nowhere, not_delivered_label
from tenants.models import Tenant
from tenants.querysets import TenantQuerySet


class Kind(models.TextChoices):
    WELCOME = "welcome", "Welcome"
    PASSWORD_RESET = "password_reset", "Password reset"
    MEMBER_INVITATION = "member_invitation", "Member invitation"
    PAYMENT_SUCCEEDED = "payment_succeeded", "Payment succeeded"
    PAYMENT_FAILED = "payment_failed", "Payment failed"
    TRIAL_ENDING = "trial_ending", "Trial ending"
    SUBSCRIPTION_CANCELLED = "subscription_cancelled", "Subscription cancelled"
    ACCOUNT_SUSPENDED = "account_suspended", "Account suspended"
    USAGE_WARNING = "usage_warning", "Usage warning"
    NOTICE = "notice", "Notice"
    WORKSPACE_CLOSED = "workspace_closed", "Workspace closed"
    ACCOUNT_DELETED = "account_deleted", "Account deleted"
    TWO_FACTOR = "two_factor", "Two-factor sign-in changed"
    EMAIL_VERIFICATION = "email_verification", "Email verification"
    EMAIL_CHANGE_CONFIRMATION = "email_change_confirmation", "Email change confirmation"
    EMAIL_CHANGE_NOTICE = "email_change_notice", "Email change notice"


# SECURITY: these bodies carry a secret link (reset, invitation, email verification or
# change).
# The outbox keeps them only until the message is sent or has failed for good, then
# replaces them, so a database leak does not hand out live links.
SENSITIVE_KINDS = frozenset(
    {
        Kind.PASSWORD_RESET,
        Kind.MEMBER_INVITATION,
        Kind.EMAIL_VERIFICATION,
        Kind.EMAIL_CHANGE_CONFIRMATION,
    }
)
REDACTED_BODY = "[Removed after sending: this email contained a single-use link.]"


class OutboxMessage(models.Model):
    """One email to one recipient, from rendering to the provider's last word on it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Complained"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Nullable: a password reset belongs to a user, not to any one tenant.
    tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True)
    to_email = models.EmailField(max_length=254, db_index=True)
    subject = models.CharField(max_length=255)
    text_body = models.TextField()
    html_body = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    # When a worker may next pick the row up. While `sending`, it is the end of the
    # claiming worker's lease: a worker that died mid-send is retried after it.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    provider = models.CharField(max_length=32, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True, db_index=True)
    last_error = models.TextField(blank=True)
    # Makes enqueueing idempotent per recipient (e.g. a Stripe event id + kind).
    dedupe_key = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key", "to_email"],
                condition=~Q(dedupe_key=""),
                name="uniq_outbox_dedupe_recipient",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_email} ({self.status})"

    @property
    def went_nowhere(self) -> bool:
        """Sent through a local backend (the console in development): nobody received it."""
        return self.status == self.Status.SENT and delivered_nowhere(self.provider)

    @property
    def outcome(self) -> str:
        """The status as people should read it: console output is not "Sent"."""
        if self.went_nowhere:
            return not_delivered_label(self.provider)
        return self.get_status_display()

    @property
    def is_redacted(self) -> bool:
        return self.text_body == REDACTED_BODY

    def redacted_fields(self) -> dict[str, str]:
        """Body fields to overwrite once this message leaves the queue for good."""
        if self.kind in SENSITIVE_KINDS:
            return {"text_body": REDACTED_BODY, "html_body": ""}
        return {}


class Suppression(models.Model):
    """An address that bounced or complained: later sends to it are refused."""

    class Reason(models.TextChoices):
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Complained"
        MANUAL = "manual", "Added by staff"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Stored lower-cased; one row per address, whatever the tenant (a bounce is global).
    email = models.EmailField(max_length=254, unique=True)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    detail = models.TextField(blank=True)
    provider = models.CharField(max_length=32, blank=True)
    message = models.ForeignKey(
        OutboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} ({self.reason})"
