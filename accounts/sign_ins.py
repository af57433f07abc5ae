"""A person's own sign-ins (API sessions, accounts.models.TokenFamily): list them, end one,
end all but the current one.

Ending a sign-in stamps its `revoked_at`: the one query that confirms every access token
(accounts.credentials.live_sign_in) then refuses its tokens on their next request, and a
refresh of it is refused too (accounts.sessions.refresh). Each query is scoped to the
person, so another person's sign-in id is the same 404 as one that never existed.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import TokenFamily, User
from catalytic.errors import ServiceError
from tenants import audit


def live_sign_ins(user: Any) -> QuerySet[TokenFamily]:
    """The person's sign-ins that can still be used, newest first, with their workspace."""
    return (
        TokenFamily.objects.filter(
            user_id=user.pk, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("membership__tenant")
        .order_by("-created_at")
    )


def end_sign_in(
    *, user: User, sign_in_id: uuid.UUID, current: uuid.UUID | None = None, request: Any = None
) -> TokenFamily:
    """End one of the person's live sign-ins; 404 `not_found` for any other id.

    The sign-in making the request (`current`) is refused with 409 `current_session`:
    ending it is logging out (`POST /api/tenants/logout`), which also blacklists its
    refresh token, and a list of sessions is for ending the *other* ones.
    """
    if current is not None and sign_in_id == current:
        raise ServiceError(
            "This is the session you are using: log out to end it.",
            code="current_session",
            status=409,
        )
    with transaction.atomic():
        family = live_sign_ins(user).select_for_update(of=("self",)).filter(pk=sign_in_id).first()
        if family is None:
            raise ServiceError("No such session.", code="not_found", status=404)
        family.revoked_at = timezone.now()
        family.save(update_fields=["revoked_at"])
        audit.record(
            "session.ended",
            tenant=family.membership.tenant,
            actor=user,
            request=request,
            target=f"session:{str(family.pk)[:8]}",
        )
    return family


def end_other_sign_ins(*, user: User, keep: uuid.UUID | None, request: Any = None) -> int:
    """End every live sign-in of the person but `keep` (the caller's own); how many ended."""
    with transaction.atomic():
        others = live_sign_ins(user)
        if keep is not None:
            others = others.exclude(pk=keep)
        tenants = {family.membership.tenant_id for family in others}
        ended = TokenFamily.objects.filter(pk__in=others.values("pk")).update(
            revoked_at=timezone.now()
        )
        for tenant_id in tenants:
            audit.record("session.ended_others", tenant=tenant_id, actor=user, request=request)
    return ended
