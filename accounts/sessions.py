"""Token sessions: issue a pair, rotate it (with reuse detection), end it.

A session is the family of refresh tokens that one login starts; every access
token it hands out is remembered on the refresh-token row, so ending a session
also denylists its access tokens.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import update_last_login
from django.db import transaction
from django.utils import timezone

from accounts import revocation
from accounts.authentication import LIVE_TENANT_STATUSES
from accounts.models import RefreshToken, User
from accounts.revocation import as_datetime
from accounts.tokens import REFRESH, TokenError, decode_token, issue_access_token
from accounts.tokens import issue_refresh_token as encode_refresh_token
from catalytic.api_errors import ApiError
from tenants import audit
from tenants.context import AuthContext
from tenants.models import Membership

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    access_claims: dict[str, Any]
    refresh_claims: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "bearer",
            "expires_in": int(settings.JWT_ACCESS_TTL.total_seconds()),
        }


@dataclass(frozen=True)
class Session:
    membership: Membership
    tokens: TokenPair


def issue_token_pair(*, membership: Membership, family: uuid.UUID | None = None) -> TokenPair:
    """An access + refresh pair for a membership, with the refresh token on record."""
    ids = {"user_id": membership.user_id, "tenant_id": membership.tenant_id}
    access, access_claims = issue_access_token(**ids, role=membership.role)
    refresh, refresh_claims = encode_refresh_token(**ids, role=membership.role)
    RefreshToken.objects.create(
        jti=refresh_claims["jti"],
        family=family or uuid.uuid4(),
        user_id=membership.user_id,
        membership=membership,
        issued_at=as_datetime(refresh_claims["iat"]),
        expires_at=as_datetime(refresh_claims["exp"]),
        access_jti=access_claims["jti"],
        access_expires_at=as_datetime(access_claims["exp"]),
    )
    return TokenPair(access, refresh, access_claims, refresh_claims)


def start_session(*, membership: Membership, request: Any = None, action: str = "") -> Session:
    """Tokens for a membership just proven (login, sign-up, accepted invitation)."""
    with transaction.atomic():
        tokens = issue_token_pair(membership=membership)
        update_last_login(None, membership.user)
        if action:
            audit.record(action, tenant=membership.tenant, actor=membership.user, request=request)
    return Session(membership, tokens)


# --- Refresh ----------------------------------------------------------------


def _refresh_failed(message: str = "This refresh token is no longer valid.") -> ApiError:
    return ApiError(message, code="token_revoked", status_code=401)


def refresh(*, refresh_token: str, request: Any = None) -> Session:
    """Rotate a refresh token: the old one dies, the role is read afresh.

    Presenting an already rotated token means two parties hold it (theft): every
    session of the user is revoked and the call is refused.
    """
    try:
        claims = decode_token(refresh_token, expected_type=REFRESH)
    except TokenError as exc:
        raise ApiError(exc.message, code=f"token_{exc.reason}", status_code=401)
    reused_by: RefreshToken | None = None
    with transaction.atomic():
        row = (
            # Lock only the token row: refreshes must not queue behind team changes.
            RefreshToken.objects.select_for_update(of=("self",))
            .select_related("user", "membership__tenant")
            .filter(jti=claims["jti"])
            .first()
        )
        if row is None or row.revoked_at is not None:
            raise _refresh_failed()
        if row.rotated_at is not None:
            reused_by = row
            revoke_user_sessions(user=row.user)
            audit.record(
                "token.reuse_detected",
                tenant=row.membership.tenant,
                actor=row.user,
                request=request,
                target=f"refresh:{row.jti[:8]}",
                family=row.family,
            )
        else:
            membership = (
                Membership.objects.select_related("user", "tenant")
                .filter(
                    pk=row.membership_id,
                    is_active=True,
                    user__is_active=True,
                    tenant__status__in=LIVE_TENANT_STATUSES,
                )
                .first()
            )
            cutoff = row.user.tokens_revoked_before
            if (
                membership is None
                or cutoff is not None
                and int(claims["iat"]) < int(cutoff.timestamp())
            ):
                raise _refresh_failed()
            row.rotated_at = timezone.now()
            row.save(update_fields=["rotated_at"])
            tokens = issue_token_pair(membership=membership, family=row.family)
    if reused_by is not None:
        logger.warning("refresh token reuse for user %s: sessions revoked", reused_by.user_id)
        raise ApiError(
            "This refresh token was already used; all sessions were ended. Log in again.",
            code="token_reused",
            status_code=401,
        )
    return Session(membership, tokens)


# --- Revocation -------------------------------------------------------------


def _revoke_rows(rows: Any) -> int:
    """Revoke these refresh-token rows and denylist the access tokens they issued."""
    now = timezone.now()
    revocation.denylist(
        rows.filter(access_expires_at__gt=now).values_list("access_jti", "access_expires_at")
    )
    return rows.filter(revoked_at__isnull=True).update(revoked_at=now)


def revoke_user_sessions(*, user: User) -> int:
    """End every session of a user: refresh tokens, their access tokens, and older ones."""
    with transaction.atomic():
        # The cutoff also catches access tokens issued without a refresh row.
        User.objects.filter(pk=user.pk).update(tokens_revoked_before=timezone.now())
        revocation.bump_versions(users=[user.pk])  # update() sends no signal
        return _revoke_rows(RefreshToken.objects.filter(user=user))


def revoke_membership_sessions(*, membership: Membership) -> int:
    """End the sessions opened through one membership (suspended by an admin)."""
    with transaction.atomic():
        return _revoke_rows(RefreshToken.objects.filter(membership=membership))


def logout(
    *, user: User, context: AuthContext, refresh_token: str = "", request: Any = None
) -> None:
    """End this session: denylist the access token, revoke its refresh-token family."""
    families: set[uuid.UUID] = set()
    if refresh_token:
        try:
            claims = decode_token(refresh_token, expected_type=REFRESH)
        except TokenError as exc:
            if exc.reason != "expired":
                raise ApiError(exc.message, code="invalid_refresh_token", status_code=400)
            claims = None
        if claims is not None:
            if claims["sub"] != str(user.pk):
                raise ApiError(
                    "This refresh token belongs to someone else.",
                    code="invalid_refresh_token",
                    status_code=400,
                )
            families.update(
                RefreshToken.objects.filter(jti=claims["jti"]).values_list("family", flat=True)
            )
    with transaction.atomic():
        if context.jti and context.expires_at:
            revocation.denylist([(context.jti, context.expires_at)])
            families.update(
                RefreshToken.objects.filter(user=user, access_jti=context.jti).values_list(
                    "family", flat=True
                )
            )
        if families:
            _revoke_rows(RefreshToken.objects.filter(user=user, family__in=families))
        audit.record("logout", tenant=context.tenant_id, actor=user, request=request)
