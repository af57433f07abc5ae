"""A person deletes their own account: memberships, sessions and keys end, personal data goes.

The audit trail keeps its rows (a workspace's history must stay whole) with the person
replaced by a stable pseudonym, `deleted-user-<hash>`: the same in every row of that
person, and not reversible to the email without the server's secret key.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import ApiKey, PasswordResetRequest, User
from accounts.passwords import require_password
from accounts.sessions import revoke_user_sessions
from accounts.signals import account_deleting
from catalytic.errors import ServiceError
from tenants import audit
from tenants.models import AuditEvent, Invitation, Membership, Role, Tenant

# Metadata keys of audit rows that may hold the person's address.
PERSONAL_EMAIL_KEYS = ("email", "previous_email")
BATCH = 500


def pseudonym(user: User) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), str(user.pk).encode(), hashlib.sha256)
    return f"deleted-user-{digest.hexdigest()[:16]}"


def sole_owner_of(user: User) -> list[Tenant]:
    """Workspaces, not closed, that would be left without an owner if `user` went."""
    owned = Membership.objects.filter(
        user=user, role=Role.OWNER, is_active=True, tenant__closed_at__isnull=True
    ).exclude(tenant__status=Tenant.Status.DELETED)
    alone = []
    for membership in owned.select_related("tenant"):
        others = (
            Membership.objects.for_tenant(membership.tenant_id)
            .filter(role=Role.OWNER, is_active=True, user__is_active=True)
            .exclude(user=user)
        )
        if not others.exists():
            alone.append(membership.tenant)
    return alone


def _last_owner_error(tenants: list[Tenant]) -> ServiceError:
    names = ", ".join(tenant.name for tenant in tenants)
    return ServiceError(
        f"You are the last owner of {names}. Close the workspace, or make someone else "
        "owner, before deleting your account.",
        code="last_owner",
        status=409,
        details={"workspaces": [{"slug": t.slug, "name": t.name} for t in tenants]},
    )


def delete_account(*, user: User, password: str, request: Any = None) -> None:
    """Erase `user` after checking the password; 409 `last_owner` while a workspace needs them."""
    require_password(user, password)
    with transaction.atomic():
        # The tenant rows are the mutex for their memberships (tenants.services): two
        # owners of one workspace deleting their accounts at once cannot both pass.
        tenant_ids = sorted(
            Membership.objects.filter(user=user).values_list("tenant_id", flat=True), key=str
        )
        list(Tenant.objects.select_for_update().filter(pk__in=tenant_ids).order_by("pk"))
        alone = sole_owner_of(user)
        if alone:
            raise _last_owner_error(alone)
        erase_user(user=user, request=request)


def erase_user(*, user: User, request: Any = None) -> str:
    """End everything of `user` and delete the row; returns the pseudonym left in the trail."""
    alias = pseudonym(user)
    email, name = user.email, user.first_name
    account_deleting.send(sender=User, email=email, name=name)
    now = timezone.now()
    revoke_user_sessions(user=user)
    keys = ApiKey.objects.filter(created_by=user, revoked_at__isnull=True)
    for key in keys:
        audit.record(
            "api_key.revoked",
            tenant=key.tenant_id,
            actor=None,
            target=f"api_key:{key.id}",
            name=key.name,
            prefix=key.prefix,
            reason="creator_deleted",
            actor_alias=alias,
        )
    keys.update(revoked_at=now)
    for tenant_id in Membership.objects.filter(user=user).values_list("tenant_id", flat=True):
        audit.record("account.deleted", tenant=tenant_id, actor=None, actor_alias=alias)
    _pseudonymise_audit(user=user, alias=alias)
    Invitation.objects.filter(email=email, accepted_at__isnull=True).update(revoked_at=now)
    Invitation.objects.filter(email=email).update(email=f"{alias}@erased.invalid")
    PasswordResetRequest.objects.filter(email=email).delete()
    # Memberships and sessions go with the row; lattices, operations and invitations
    # keep existing with their creator unset.
    user.delete()
    return alias


def _pseudonymise_audit(*, user: User, alias: str) -> None:
    emails = {user.email}
    for metadata in AuditEvent.objects.filter(
        actor=user, action="account.email_changed"
    ).values_list("metadata", flat=True):
        if isinstance(metadata, dict) and metadata.get("previous_email"):
            emails.add(metadata["previous_email"])
    targets = [f"user:{email}" for email in emails]
    rows = AuditEvent.objects.filter(
        Q(actor=user) | Q(target__in=targets) | Q(metadata__email__in=list(emails))
    )
    changed = []
    for event in rows.iterator(chunk_size=BATCH):
        metadata = dict(event.metadata) if isinstance(event.metadata, dict) else {}
        for key in PERSONAL_EMAIL_KEYS:
            if metadata.get(key) in emails:
                metadata.pop(key)
        if event.actor_id == user.pk:
            # Where the person acted from is theirs too; another actor's row keeps its own.
            event.actor_id = None
            event.ip_address = None
            metadata.pop("user_agent", None)
            # An address they asked to move to (account.email_change_requested) is theirs
            # even if they never confirmed it.
            metadata.pop("new_email", None)
            metadata["actor_alias"] = alias
        if event.target in targets:
            event.target = f"user:{alias}"
        event.metadata = metadata
        changed.append(event)
        if len(changed) >= BATCH:
            AuditEvent.objects.bulk_update(changed, ["actor", "ip_address", "target", "metadata"])
            changed = []
    if changed:
        AuditEvent.objects.bulk_update(changed, ["actor", "ip_address", "target", "metadata"])
