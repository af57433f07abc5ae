"""Token sessions: issue a pair, rotate it (with reuse detection), end it.

A session is one sign-in (accounts.models.TokenFamily). simplejwt issues its tokens and
blacklists each refresh token once it is rotated or its session ends; the family row
adds reuse detection and lets one logout refuse every access token of the session.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import update_last_login
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import TokenFamily, User
from accounts.tokens import (
    USER_ID_CLAIM,
    AccessToken,
    Blacklisted,
    RefreshToken,
    Rejected,
    rejection,
    require_claims,
    verified,
)
from catalytic.client_ip import client_ip
from catalytic.errors import ServiceError
from tenants import audit
from tenants.context import AuthContext
from tenants.models import Membership

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "bearer",
            "expires_in": int(AccessToken.lifetime.total_seconds()),
        }


@dataclass(frozen=True)
class Session:
    membership: Membership
    tokens: TokenPair


def issue_token_pair(
    *, membership: Membership, family: TokenFamily | None = None, request: Any = None
) -> TokenPair:
    """An access + refresh pair for a membership, in a new session unless `family` is given.

    The session's last use, client IP and user agent (shown in the person's list of
    sessions) are recorded here, at sign-in and each refresh, with the row this writes
    anyway: never on an ordinary request.
    """
    now = timezone.now()
    if family is None:
        family = TokenFamily(user=membership.user, membership=membership, created_at=now)
    family.expires_at = now + RefreshToken.lifetime
    family.last_used_at = now
    if request is not None:
        family.ip_address = client_ip(request) or None
        family.user_agent = request.META.get("HTTP_USER_AGENT", "")[:255]
    family.save()
    refresh, access = RefreshToken.issue(
        user=membership.user, tenant_id=membership.tenant_id, role=membership.role, family=family.pk
    )
    return TokenPair(access, refresh)


def start_session(*, membership: Membership, request: Any = None, action: str = "") -> Session:
    """Tokens for a membership just proven (login, sign-up, accepted invitation)."""
    with transaction.atomic():
        tokens = issue_token_pair(membership=membership, request=request)
        update_last_login(None, membership.user)
        if action:
            audit.record(action, tenant=membership.tenant, actor=membership.user, request=request)
    return Session(membership, tokens)


# --- Refresh ----------------------------------------------------------------


def _refused(
    reason: str = "revoked", message: str = "This refresh token is no longer valid."
) -> ServiceError:
    return ServiceError(message, code=f"token_{reason}", status=401)


def _live_membership(pk: Any) -> Membership | None:
    return Membership.objects.live().select_related("user", "tenant").filter(pk=pk).first()


def refresh(*, refresh_token: str, request: Any = None) -> Session:
    """Rotate a refresh token: simplejwt blacklists the old one, the role is read afresh.

    Presenting a rotated token again means two parties hold it (theft): every session of
    the user is revoked and the call is refused.
    """
    try:
        token = RefreshToken(refresh_token)
        blacklisted = False
    except Blacklisted as exc:
        # Blacklisted is checked before expiry: an expired token has nothing left to steal.
        if _expired(exc.token):
            raise _refused("expired", "The token has expired.")
        token, blacklisted = exc.token, True
    except TokenError as exc:
        refusal = rejection(exc)
        raise _refused(refusal.reason, refusal.message)
    try:
        require_claims(token)
    except Rejected as exc:
        raise _refused(exc.reason, exc.message)
    reused = False
    with transaction.atomic():
        # Locking the family serialises concurrent refreshes of one session: the second
        # sees the first one's blacklisting below.
        family = (
            TokenFamily.objects.select_for_update(of=("self",))
            .select_related("user", "membership__tenant")
            .filter(pk=token.get("family"), user_id=token.get(USER_ID_CLAIM))
            .first()
        )
        if family is None or family.revoked_at is not None:
            raise _refused()
        if blacklisted or BlacklistedToken.objects.filter(token__jti=token["jti"]).exists():
            reused = True
            revoke_user_sessions(user=family.user)
            audit.record(
                "token.reuse_detected",
                tenant=family.membership.tenant,
                actor=family.user,
                request=request,
                target=f"refresh:{str(token['jti'])[:8]}",
                family=str(family.pk),
            )
        else:
            membership = _live_membership(family.membership_id)
            if membership is None:
                raise _refused()
            token.blacklist()
            tokens = issue_token_pair(membership=membership, family=family, request=request)
    if reused:
        logger.warning("refresh token reuse for user %s: sessions revoked", family.user_id)
        raise ServiceError(
            "This refresh token was already used; all sessions were ended. Log in again.",
            code="token_reused",
            status=401,
        )
    return Session(membership, tokens)


def _expired(token: Any) -> bool:
    return int(token["exp"]) <= int(timezone.now().timestamp())


# --- Revocation -------------------------------------------------------------


def _end(families: Any) -> int:
    """Revoke these sessions: their access and refresh tokens are refused from now on."""
    return families.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def blacklist_outstanding(*, user: User) -> None:
    """simplejwt's blacklist for every unexpired refresh token the user still holds."""
    outstanding = OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )


def revoke_user_sessions(*, user: User) -> int:
    """End every session of a user: refresh tokens and the access tokens they issued."""
    with transaction.atomic():
        ended = _end(TokenFamily.objects.filter(user=user))
        blacklist_outstanding(user=user)
        return ended


def revoke_membership_sessions(*, membership: Membership) -> int:
    """End the sessions opened through one membership (suspended by an admin)."""
    return _end(TokenFamily.objects.filter(membership=membership))


def logout(
    *, user: User, context: AuthContext, refresh_token: str = "", request: Any = None
) -> None:
    """End this session: its access tokens are refused, its refresh token blacklisted."""
    families: set[str] = set()
    token = None
    if refresh_token:
        try:
            token = verified(RefreshToken, refresh_token)
        except Rejected as exc:
            # An expired or already ended session has nothing left to end.
            if exc.reason not in ("expired", "revoked"):
                raise ServiceError(exc.message, code="invalid_refresh_token", status=400)
        if token is not None:
            if token[USER_ID_CLAIM] != str(user.pk):
                raise ServiceError(
                    "This refresh token belongs to someone else.",
                    code="invalid_refresh_token",
                    status=400,
                )
            families.add(str(token["family"]))
    if context.family:
        families.add(str(context.family))
    with transaction.atomic():
        _end(TokenFamily.objects.filter(user=user, pk__in=[uuid.UUID(f) for f in families]))
        if token is not None:
            token.blacklist()
        audit.record("logout", tenant=context.tenant_id, actor=user, request=request)
