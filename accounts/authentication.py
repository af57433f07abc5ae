"""DRF authentication: Bearer JWT (people) and X-API-Key (programs).

Both set `request.auth` to a tenants.context.AuthContext, so permissions and
scoped querysets never care which one was used.

Each request is checked against the current state in one database query: the
membership joined with its user, tenant and plan. A removed or deactivated
member, a deactivated user, a deleted tenant and a changed role therefore take
effect on the very next request; the role in the token is never trusted.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, Q
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication

from accounts import revocation
from accounts.models import ApiKey, RevokedAccessToken
from accounts.tokens import TokenError, decode_token
from catalytic.api_errors import ApiError
from tenants.context import AuthContext
from tenants.models import Membership, Role, Tenant

# Tenants whose members may still authenticate (a suspended tenant must be able to pay).
LIVE_TENANT_STATUSES = (Tenant.Status.ACTIVE, Tenant.Status.SUSPENDED)
API_KEY_PREFIX = "cat_"


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(message, code=code, status_code=401)


def _revoked() -> TokenError:
    return TokenError("revoked", "This token has been revoked.")


def session_membership(claims: dict[str, Any]) -> Membership:
    """The live membership behind verified access-token claims, or TokenError("revoked").

    One query: membership + user + tenant + subscription plan, with the durable
    denylist folded in as a subquery whenever the cache cannot answer alone.
    """
    jti = str(claims["jti"])
    verdict = revocation.cached_verdict(jti)
    if verdict is revocation.Verdict.REVOKED:
        raise _revoked()
    try:
        user_id, tenant_id = uuid.UUID(str(claims["sub"])), uuid.UUID(str(claims["tenant_id"]))
    except ValueError:
        raise TokenError("malformed", "The token's subject is not valid.")
    memberships = Membership.objects.select_related(
        "user", "tenant", "tenant__subscription__plan"
    ).filter(
        user_id=user_id,
        tenant_id=tenant_id,
        is_active=True,
        user__is_active=True,
        tenant__status__in=LIVE_TENANT_STATUSES,
    )
    if verdict is not revocation.Verdict.CLEAR:
        memberships = memberships.annotate(
            denylisted=Exists(RevokedAccessToken.objects.filter(jti=jti))
        )
    membership = memberships.first()
    if verdict is revocation.Verdict.COLD:
        revocation.warm_cache()
    if membership is None or getattr(membership, "denylisted", False):
        raise _revoked()
    cutoff = membership.user.tokens_revoked_before
    # iat has whole seconds: tokens of the cutoff's own second are caught by the
    # jti denylist written alongside the cutoff (see accounts.services).
    if cutoff is not None and int(claims["iat"]) < int(cutoff.timestamp()):
        raise _revoked()
    return membership


class JWTAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate_header(self, request: Any) -> str:
        return f'{self.keyword} realm="api"'

    def authenticate(self, request: Any) -> tuple[Any, AuthContext] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != self.keyword.lower() or not token.strip():
            raise _unauthorized("invalid_authorization", "Use 'Authorization: Bearer <token>'.")
        try:
            claims = decode_token(token.strip())
            membership = session_membership(claims)
        except TokenError as exc:
            raise _unauthorized(f"token_{exc.reason}", exc.message)
        context = AuthContext(
            tenant_id=membership.tenant_id,
            role=membership.role,
            method="jwt",
            jti=claims["jti"],
            expires_at=claims["exp"],
            preloaded_tenant=membership.tenant,
        )
        return membership.user, context


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def split_api_key(key: str) -> tuple[str, str] | None:
    """`cat_<prefix>_<secret>` → (prefix, secret); None when it is not shaped like a key."""
    if not key.startswith(API_KEY_PREFIX):
        return None
    prefix, sep, secret = key[len(API_KEY_PREFIX) :].partition("_")
    if not sep or not prefix.isalnum() or len(secret) < 32:
        return None
    return prefix, secret


class ApiKeyAuthentication(BaseAuthentication):
    """`X-API-Key: cat_<prefix>_<secret>`.

    A write key acts with the `member` role and a read key with `viewer`,
    whatever the role of the person who created it: keys belong to the tenant,
    can never manage the team or other keys (admin endpoints), and keep working
    after their creator leaves until an owner or admin revokes them.
    """

    header = "HTTP_X_API_KEY"

    def authenticate_header(self, request: Any) -> str:
        return 'ApiKey realm="api"'

    def authenticate(self, request: Any) -> tuple[Any, AuthContext] | None:
        raw = request.META.get(self.header, "").strip()
        if not raw:
            return None
        parts = split_api_key(raw)
        if parts is None:
            raise _unauthorized("invalid_api_key", "This API key is not valid.")
        api_key = (
            ApiKey.objects.select_related("tenant", "tenant__subscription__plan", "created_by")
            .filter(prefix=parts[0])
            .first()
        )
        # SECURITY: constant-time comparison of the hash; an unknown prefix and a
        # wrong secret give the same answer.
        if api_key is None or not hmac.compare_digest(api_key.key_hash, hash_api_key(raw)):
            raise _unauthorized("invalid_api_key", "This API key is not valid.")
        if api_key.revoked_at is not None:
            raise _unauthorized("api_key_revoked", "This API key has been revoked.")
        if api_key.is_expired:
            raise _unauthorized("api_key_expired", "This API key has expired.")
        if api_key.tenant.status not in LIVE_TENANT_STATUSES:
            raise _unauthorized("invalid_api_key", "This API key is not valid.")
        self._touch(api_key)
        context = AuthContext(
            tenant_id=api_key.tenant_id,
            role=Role.MEMBER if api_key.scope == ApiKey.Scope.WRITE else Role.VIEWER,
            method="api_key",
            scope=api_key.scope,
            api_key_id=api_key.id,
            preloaded_tenant=api_key.tenant,
        )
        return api_key.created_by or AnonymousUser(), context

    @staticmethod
    def _touch(api_key: ApiKey) -> None:
        """Record use at most once per API_KEY_TOUCH_INTERVAL, not a write per request."""
        now = timezone.now()
        stale_before = now - settings.API_KEY_TOUCH_INTERVAL
        if api_key.last_used_at is not None and api_key.last_used_at > stale_before:
            return
        # The conditional UPDATE lets one of many concurrent workers win the write.
        ApiKey.objects.filter(pk=api_key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale_before)
        ).update(last_used_at=now)
        api_key.last_used_at = now
