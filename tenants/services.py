"""Writes on tenants: creation, settings, suspension, team membership.

Every function that changes a tenant takes keyword-only `tenant=` / `actor=`, runs in
a transaction and leaves an audit record. Membership changes lock the tenant row
first, so two concurrent demotions cannot both pass the last-owner check. Invitations
live in tenants.invitations; sign-up, which also starts a subscription and sends the
welcome email, in workspaces.signup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from accounts.models import User
from accounts.services import revoke_membership_sessions
from catalytic.errors import ServiceError
from tenants import audit, events
from tenants.models import Membership, Role, Tenant

SLUG_MAX = 50
T = TypeVar("T")
EDITABLE_FIELDS = ("name", "domain", "billing_email")


# --- Creation -----------------------------------------------------------------


def email_taken() -> ServiceError:
    return ServiceError(
        "An account with this email already exists; log in instead.",
        code="email_taken",
        status=409,
        details={"email": ["An account with this email already exists."]},
    )


def create_tenant(*, name: str, **fields: Any) -> Tenant:
    """A tenant with a unique slug from its name: acme, acme-2, acme-3..."""
    base = slugify(name)[:SLUG_MAX].strip("-") or "tenant"
    return with_free_slug(base, lambda slug: Tenant.objects.create(name=name, slug=slug, **fields))


def with_free_slug(base: str, write: Callable[[str], T]) -> T:
    """`write(slug)` with `base`, else base-2, base-3...: a slug no open workspace holds.

    Closed workspaces do not count (their slugs are free, see Tenant.Meta). Race-safe:
    a slug taken between the look-up and the write is an IntegrityError inside a
    savepoint, and the next candidate is tried.
    """
    taken = set(
        Tenant.objects.filter(slug__startswith=base)
        .exclude(status=Tenant.Status.DELETED)
        .values_list("slug", flat=True)[:1000]
    )
    number = 1
    while True:
        candidate = base if number == 1 else f"{base}-{number}"
        number += 1
        if candidate in taken:
            continue
        try:
            with transaction.atomic():
                return write(candidate)
        except IntegrityError:
            taken.add(candidate)


# --- Tenant settings and status ---------------------------------------------------


def update_tenant(
    *, tenant: Tenant, actor: Any, changes: dict[str, Any], request: Any = None
) -> Tenant:
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
        changed = {
            name: {"from": getattr(tenant, name), "to": value}
            for name, value in changes.items()
            if name in EDITABLE_FIELDS and getattr(tenant, name) != value
        }
        if changed:
            for name, change in changed.items():
                setattr(tenant, name, change["to"])
            tenant.save(update_fields=[*changed, "updated_at"])
            audit.record(
                "tenant.updated", tenant=tenant, actor=actor, request=request, changes=changed
            )
    return tenant


def suspend_tenant(*, tenant: Tenant, actor: Any, reason: str, request: Any = None) -> Tenant:
    """Refuse the tenant's product calls (402 `tenant_suspended`); login and billing still work.

    Sends no email: the caller (billing, the admin) sends the one that fits.
    """
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
        previous = tenant.status
        tenant.status = Tenant.Status.SUSPENDED
        tenant.suspended_reason = (reason or "")[:500]
        tenant.save(update_fields=["status", "suspended_reason", "updated_at"])
        audit.record(
            "tenant.suspended",
            tenant=tenant,
            actor=actor,
            request=request,
            reason=tenant.suspended_reason,
            previous_status=previous,
        )
    return tenant


def reactivate_tenant(*, tenant: Tenant, actor: Any, request: Any = None) -> Tenant:
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
        previous = tenant.status
        tenant.status = Tenant.Status.ACTIVE
        tenant.suspended_reason = ""
        tenant.save(update_fields=["status", "suspended_reason", "updated_at"])
        audit.record(
            "tenant.reactivated",
            tenant=tenant,
            actor=actor,
            request=request,
            previous_status=previous,
        )
    return tenant


# --- Team -------------------------------------------------------------------------


def owner_required(message: str) -> ServiceError:
    return ServiceError(message, code="owner_required", status=403)


def _lock_tenant(tenant: Tenant) -> None:
    # The tenant row is the mutex for its memberships (see the module docstring).
    Tenant.objects.select_for_update().filter(pk=tenant.pk).first()


def _is_last_owner(membership: Membership) -> bool:
    if membership.role != Role.OWNER or not membership.is_active:
        return False
    return (
        not Membership.objects.for_tenant(membership.tenant_id)
        .active()
        .filter(role=Role.OWNER)
        .exclude(pk=membership.pk)
        .exists()
    )


def add_member(
    *, tenant: Tenant, actor: Any, actor_role: str, user: User, role: str, request: Any = None
) -> Membership:
    """Give an existing user a membership (no invitation needed)."""
    if role == Role.OWNER and actor_role != Role.OWNER:
        raise owner_required("Only an owner can add an owner.")
    with transaction.atomic():
        _lock_tenant(tenant)
        if Membership.objects.for_tenant(tenant).filter(user=user).exists():
            raise ServiceError(
                "This person is already a member.", code="already_member", status=409
            )
        membership = Membership.objects.create(user=user, tenant=tenant, role=role)
        audit.record(
            "member.added",
            tenant=tenant,
            actor=actor,
            request=request,
            target=f"user:{user.email}",
            role=role,
        )
        events.emit(tenant, events.MEMBER_ADDED, events.member_data(membership))
    return membership


def update_member(
    *,
    tenant: Tenant,
    actor: Any,
    actor_role: str,
    membership: Membership,
    role: str | None = None,
    is_active: bool | None = None,
    request: Any = None,
) -> Membership:
    """Change a member's role or suspend/restore the membership.

    Only an owner grants owner or changes an owner; the last active owner can
    never be demoted or suspended (409 `last_owner`).
    """
    with transaction.atomic():
        _lock_tenant(tenant)
        membership = (
            Membership.objects.for_tenant(tenant)
            .select_for_update(of=("self",))
            .select_related("user", "tenant")
            .get(pk=membership.pk)
        )
        new_role = role if role is not None else membership.role
        new_active = is_active if is_active is not None else membership.is_active
        touches_owner = Role.OWNER in (membership.role, new_role)
        if touches_owner and actor_role != Role.OWNER:
            raise owner_required("Only an owner can grant, change or suspend an owner.")
        if (new_role != Role.OWNER or not new_active) and _is_last_owner(membership):
            raise ServiceError(
                "The last owner cannot be demoted or suspended; make someone else owner first.",
                code="last_owner",
                status=409,
            )
        changes = {}
        if new_role != membership.role:
            changes["role"] = {"from": membership.role, "to": new_role}
        if new_active != membership.is_active:
            changes["is_active"] = {"from": membership.is_active, "to": new_active}
        if changes:
            membership.role, membership.is_active = new_role, new_active
            membership.save(update_fields=["role", "is_active", "updated_at"])
            if not new_active:
                # Restoring the membership later must not revive these sessions.
                revoke_membership_sessions(membership=membership)
            audit.record(
                "member.updated",
                tenant=tenant,
                actor=actor,
                request=request,
                target=f"user:{membership.user.email}",
                changes=changes,
            )
    return membership


def remove_member(
    *, tenant: Tenant, actor: Any, actor_role: str, membership: Membership, request: Any = None
) -> None:
    """Delete the membership; its tokens fail on their next request (and its refresh tokens go)."""
    with transaction.atomic():
        _lock_tenant(tenant)
        membership = (
            Membership.objects.for_tenant(tenant)
            .select_for_update(of=("self",))
            .select_related("user")
            .get(pk=membership.pk)
        )
        if membership.role == Role.OWNER and actor_role != Role.OWNER:
            raise owner_required("Only an owner can remove an owner.")
        if _is_last_owner(membership):
            raise ServiceError(
                "The last owner cannot be removed; make someone else owner first.",
                code="last_owner",
                status=409,
            )
        email, role = membership.user.email, membership.role
        removed = events.member_data(membership, email=email)
        membership.delete()
        events.emit(tenant, events.MEMBER_REMOVED, removed)
        audit.record(
            "member.removed",
            tenant=tenant,
            actor=actor,
            request=request,
            target=f"user:{email}",
            role=role,
        )
