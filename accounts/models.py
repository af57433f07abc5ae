from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from tenants.models import TenantOwnedModel


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        # Emails are stored lower-cased, so logins are case-insensitive.
        return self.get(email=(username or "").lower())


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Email is the login; the UUID is the only id that leaves the server."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True, max_length=254)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # When the person proved they read mail at `email` (the sign-up link, an accepted
    # invitation, a confirmed email change); None until then (accounts.email_verification).
    email_verified_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email


class TokenFamily(models.Model):
    """One sign-in: every refresh token rotated from it, and every access token they
    issued, carry this id in their `family` claim.

    simplejwt blacklists each rotated refresh token (its token_blacklist app); this row
    adds what it lacks. Presenting a blacklisted refresh token of a live family means
    it was copied, and every session of the user is revoked. Revoking the family
    (logout, removal, reuse) refuses its access tokens on their next request, on every
    app node: the authentication reads `revoked_at` in the query that loads the member.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="token_families")
    # Cascade: a removed member's sessions disappear with the membership.
    membership = models.ForeignKey(
        "tenants.Membership", on_delete=models.CASCADE, related_name="token_families"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # When the newest refresh token of the family expires: pruned after that.
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # What the person sees in their list of sessions. Written when the sign-in starts and
    # at each refresh (about every 15 minutes of use), never on an ordinary request, so
    # the one query per request stays a read.
    last_used_at = models.DateTimeField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "token families"

    def __str__(self) -> str:
        return f"session {str(self.pk)[:8]} of {self.user_id}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class PasswordResetRequest(models.Model):
    """A password reset asked for an address, not yet looked at.

    Storing this row is all the request does, whether or not an account uses the address,
    so its answer and its timing say nothing about who has an account. The email worker
    decides whether anyone gets a link (notifications/password_resets.py).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.CharField(max_length=254)
    requested_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["requested_at"]

    def __str__(self) -> str:
        return f"reset for {self.email} at {self.requested_at:%Y-%m-%d %H:%M}"


class ApiKey(TenantOwnedModel):
    """A program's credential for one tenant. The key is shown once; a hash is kept.

    Format `cat_<prefix>_<secret>`: the prefix finds the row with an indexed
    lookup, the SHA-256 of the whole key proves possession. SHA-256 (not a slow
    password hash) is enough because the secret is 32 random bytes, not a
    guessable password.
    """

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        WRITE = "write", "Read and write"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, editable=False)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.READ)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} (cat_{self.prefix}_…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
