from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenants.querysets import TenantQuerySet


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


# Higher rank may do everything a lower rank may.
ROLE_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


def role_at_least(role: str, minimum: str) -> bool:
    return ROLE_RANK.get(role, -1) >= ROLE_RANK[minimum]


class Tenant(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        DELETED = "deleted", "Deleted"

    # Whose members may still sign in: a suspended tenant must be able to log in and pay.
    LIVE_STATUSES = (Status.ACTIVE, Status.SUSPENDED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Unique among workspaces that are not closed (see Meta): a closed workspace's
    # slug is free for a new one at once.
    slug = models.SlugField(max_length=63)
    name = models.CharField(max_length=200)
    billing_email = models.EmailField(max_length=254)
    domain = models.CharField(max_length=253, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    suspended_reason = models.CharField(max_length=500, blank=True)
    # Set when the owner closes the workspace (status `deleted`); its data is purged
    # TENANT_CLOSE_GRACE_DAYS later, which sets `purged_at`.
    closed_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    # Set by an owner: members without two-factor sign-in may only enrol (the API's
    # permission and the pages' decorators refuse everything else; API keys are not people).
    require_two_factor = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["slug"], condition=~models.Q(status="deleted"), name="uniq_open_tenant_slug"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_suspended(self) -> bool:
        return self.status != self.Status.ACTIVE


class TenantOwnedModel(models.Model):
    """Base for every row that belongs to a tenant: one FK, one scoped queryset."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class MembershipQuerySet(TenantQuerySet):
    def in_live_tenants(self) -> MembershipQuerySet:
        """Memberships of live tenants, deactivated ones included (so a sign-in can say
        why a person may not enter, rather than that the workspace does not exist)."""
        return self.filter(tenant__status__in=Tenant.LIVE_STATUSES)

    def active(self) -> MembershipQuerySet:
        """Memberships not deactivated, of users not deactivated (whatever the tenant's
        state: a closed workspace's team still gets its closing emails)."""
        return self.filter(is_active=True, user__is_active=True)

    def live(self) -> MembershipQuerySet:
        """Memberships that may act: active, of an active user, in a live tenant."""
        return self.in_live_tenants().active()


class Membership(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="uniq_membership_user_tenant")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant} ({self.role})"


class AuditEvent(models.Model):
    """Security-relevant events: who did what, to which tenant, from where."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action} {self.target}"


class Invitation(TenantOwnedModel):
    """An emailed, single-use, expiring offer to join a tenant with a role.

    Only a SHA-256 of the token is stored: the token itself exists in the email
    alone, so a database leak does not hand out memberships.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "email"], name="invitation_tenant_email")]

    def __str__(self) -> str:
        return f"{self.email} → {self.tenant_id} ({self.role})"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class IdempotencyKey(TenantOwnedModel):
    """A client's `Idempotency-Key` on a POST that creates or spends, and the first answer.

    The row is claimed (INSERT) before the request runs; the unique constraint on
    (tenant, key) is what makes two concurrent requests with one key yield one execution.
    """

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    id = models.BigAutoField(primary_key=True)
    key = models.CharField(max_length=255)
    # SHA-256 of method, path and canonical body: "the same request", whatever JSON spacing.
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=8, choices=State.choices, default=State.RUNNING)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.BinaryField(default=b"", blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="uniq_idempotency_tenant_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"
