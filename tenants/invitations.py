"""Invitations: invite by email, revoke, and accept through the emailed link.

The token exists only in the email (`{SITE_URL}/invitations/accept/{token}/`);
the row keeps its SHA-256. Accepting is single-use: the invitation row is locked
and stamped in the same transaction that creates the membership.

The email itself is sent by notifications, an app above this one, on the
`member_invited` signal (tenants.signals).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.email_verification import require_verified_email
from accounts.models import User
from catalytic.errors import ServiceError
from catalytic.ratelimits import normalise_email
from tenants import audit, events
from tenants.models import Invitation, Membership, Role, Tenant
from tenants.services import add_member, email_taken, owner_required
from tenants.signals import member_invited


@dataclass(frozen=True)
class InviteResult:
    """Either `membership` (the address already had an account) or `invitation`."""

    membership: Membership | None = None
    invitation: Invitation | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def accept_url(token: str) -> str:
    return f"{settings.SITE_URL}/invitations/accept/{token}/"


def invite_member(
    *, tenant: Tenant, actor: Any, actor_role: str, email: str, role: str, request: Any = None
) -> InviteResult:
    """Add an existing user at once, or email a new address a single-use link.

    Inviting an address again replaces its pending invitation (a fresh link). The
    inviter must have proven their own email (403 `email_unverified`): invitations go
    out in their name.
    """
    require_verified_email(actor)
    if role == Role.OWNER and actor_role != Role.OWNER:
        raise owner_required("Only an owner can invite an owner.")
    email = normalise_email(email)
    user = User.objects.filter(email=email).first()
    if user is not None:
        membership = add_member(
            tenant=tenant, actor=actor, actor_role=actor_role, user=user, role=role, request=request
        )
        return InviteResult(membership=membership)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        Invitation.objects.for_tenant(tenant).filter(
            email=email, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
        invitation = Invitation.objects.create(
            tenant=tenant,
            email=email,
            role=role,
            invited_by=actor if getattr(actor, "is_authenticated", False) else None,
            token_hash=hash_token(token),
            expires_at=now + settings.INVITATION_TTL,
        )
        member_invited.send(Invitation, invitation=invitation, accept_url=accept_url(token))
        audit.record(
            "invitation.sent",
            tenant=tenant,
            actor=actor,
            request=request,
            target=f"invitation:{email}",
            role=role,
        )
    return InviteResult(invitation=invitation)


def revoke_invitation(
    *, tenant: Tenant, actor: Any, invitation: Invitation, request: Any = None
) -> None:
    with transaction.atomic():
        invitation = Invitation.objects.for_tenant(tenant).select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise ServiceError(
                "This invitation was already accepted; remove the member instead.",
                code="invitation_used",
                status=409,
            )
        if invitation.revoked_at is None:
            invitation.revoked_at = timezone.now()
            invitation.save(update_fields=["revoked_at"])
            audit.record(
                "invitation.revoked",
                tenant=tenant,
                actor=actor,
                request=request,
                target=f"invitation:{invitation.email}",
            )


def _unusable(code: str, message: str) -> ServiceError:
    return ServiceError(message, code=code, status=410)


def find_invitation(token: str, *, lock: bool = False) -> Invitation:
    """The pending invitation behind a link, or an ServiceError saying why not.

    For the accept page too: it shows the tenant and role before asking for a password.
    """
    queryset = Invitation.objects.select_related("tenant", "invited_by")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    invitation = queryset.filter(token_hash=hash_token(token or "")).first()
    if invitation is None:
        raise ServiceError(
            "This invitation link is not valid.", code="invalid_invitation", status=400
        )
    if invitation.accepted_at is not None:
        raise _unusable("invitation_used", "This invitation has already been used.")
    if invitation.revoked_at is not None or invitation.tenant.status == Tenant.Status.DELETED:
        raise _unusable("invitation_revoked", "This invitation has been withdrawn.")
    if invitation.expires_at <= timezone.now():
        raise _unusable("invitation_expired", "This invitation has expired; ask for a new one.")
    return invitation


def accept_invitation(
    *,
    token: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    request: Any = None,
) -> Membership:
    """Join the tenant: a new account is created, an existing one proves its password.

    Either way the address is proven: the link only ever reached its inbox.

    Raises ServiceError: invalid_invitation (400), invitation_used / _revoked /
    _expired (410), invalid_credentials (401), account_disabled (401),
    already_member (409), validation_error (400, password rules).
    """
    with transaction.atomic():
        invitation = find_invitation(token, lock=True)
        user = User.objects.filter(email=invitation.email).first()
        if user is not None:
            # SECURITY: the link alone must not hand out a session of an existing
            # account; its owner proves it with the password they already have.
            if not user.check_password(password):
                raise ServiceError(
                    "This email already has an account: enter its current password.",
                    code="invalid_credentials",
                    status=401,
                )
            if not user.is_active:
                raise ServiceError("This account is disabled.", code="account_disabled", status=401)
            if Membership.objects.for_tenant(invitation.tenant).filter(user=user).exists():
                raise ServiceError(
                    "You are already a member of this tenant.",
                    code="already_member",
                    status=409,
                )
            if user.email_verified_at is None:
                user.email_verified_at = timezone.now()
                user.save(update_fields=["email_verified_at"])
        else:
            candidate = User(email=invitation.email, first_name=first_name, last_name=last_name)
            try:
                password_validation.validate_password(password, candidate)
            except DjangoValidationError as exc:
                raise ServiceError(
                    "The password is not acceptable.",
                    code="validation_error",
                    details={"password": list(exc.messages)},
                )
            try:
                with transaction.atomic():
                    user = User.objects.create_user(
                        email=invitation.email,
                        password=password,
                        first_name=first_name,
                        last_name=last_name,
                        email_verified_at=timezone.now(),
                    )
            except IntegrityError:
                raise email_taken()
        membership = Membership.objects.create(
            user=user, tenant=invitation.tenant, role=invitation.role
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        audit.record(
            "invitation.accepted",
            tenant=invitation.tenant,
            actor=user,
            request=request,
            target=f"invitation:{invitation.email}",
            role=invitation.role,
        )
        events.emit(invitation.tenant, events.MEMBER_ADDED, events.member_data(membership))
    return membership
