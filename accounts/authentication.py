"""DRF authentication: Bearer JWT (people) and X-API-Key (programs).

Both set `request.auth` to a tenants.context.AuthContext, so permissions and scoped
querysets never care which one was used. Both authenticate and nothing else: rate
limits are DRF throttles (catalytic.throttling).

Every request is checked against the current state in one query: the membership with
its user, tenant and plan, and the token's session. A removed or deactivated member, a
deactivated user, a deleted tenant, a changed role and an ended session therefore take
effect on the very next request, on every app node; the role in the token is never
trusted.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication

from accounts.models import ApiKey, TokenFamily
from accounts.principals import (
    API_KEY_OWNERS,
    API_KEYS,
    MEMBERS,
    STAMPS,
    api_key_stamp,
    tenant_stamp,
    user_stamp,
)
from accounts.sessions import LIVE_TENANT_STATUSES
from accounts.tokens import USER_ID_CLAIM, AccessToken, Rejected, verified
from catalytic.api_errors import ApiError
from tenants.context import AuthContext
from tenants.models import Membership, Role

API_KEY_PREFIX = "cat_"


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(message, code=code, status_code=401)


def live_membership(token: Any) -> Membership:
    """The membership behind a verified access token, while its session lasts.

    This worker's kept copy while the access stamps prove it current (accounts.principals),
    else one query: membership + user + tenant + subscription plan, and the session row.
    """
    user_id, tenant_id = token[USER_ID_CLAIM], token["tenant_id"]
    key = (user_id, tenant_id, token["family"])
    tag = STAMPS.tag(user_stamp(user_id), tenant_stamp(tenant_id), tenant=tenant_id)
    if tag is not None:
        kept = MEMBERS.get(key, tag)
        if kept is not None:
            return kept
    membership = (
        Membership.objects.select_related("user", "tenant", "tenant__subscription__plan")
        .filter(
            Exists(
                TokenFamily.objects.filter(
                    pk=token["family"],
                    membership=OuterRef("pk"),
                    revoked_at__isnull=True,
                )
            ),
            user_id=user_id,
            tenant_id=tenant_id,
            is_active=True,
            user__is_active=True,
            tenant__status__in=LIVE_TENANT_STATUSES,
        )
        .first()
    )
    if membership is None:
        raise Rejected("revoked", "This token has been revoked.")
    if tag is not None:
        MEMBERS.put(key, tag, membership)
    return membership


class JWTAuthentication(SimpleJWTAuthentication):
    """simplejwt's authentication, with the principal loaded as described above."""

    www_authenticate_realm = "api"

    def authenticate(self, request: Any) -> tuple[Any, AuthContext] | None:
        header = self.get_header(request)
        if header is None:
            return None
        raw = self.get_raw_token(header)
        if raw is None:
            raise _unauthorized("invalid_authorization", "Use 'Authorization: Bearer <token>'.")
        try:
            token = verified(AccessToken, raw.decode("latin-1"))
            membership = live_membership(token)
        except Rejected as exc:
            raise _unauthorized(f"token_{exc.reason}", exc.message)
        context = AuthContext(
            tenant_id=membership.tenant_id,
            role=membership.role,
            method="jwt",
            family=token["family"],
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
        api_key, tag = _load_api_key(parts[0])
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
        if _touch(api_key) and tag is not None:
            API_KEYS.put(api_key.prefix, tag, api_key)  # keep the use just recorded
        context = AuthContext(
            tenant_id=api_key.tenant_id,
            role=Role.MEMBER if api_key.scope == ApiKey.Scope.WRITE else Role.VIEWER,
            method="api_key",
            scope=api_key.scope,
            api_key_id=api_key.id,
            preloaded_tenant=api_key.tenant,
        )
        return api_key.created_by or AnonymousUser(), context


def _load_api_key(prefix: str) -> tuple[ApiKey | None, tuple[Any, ...] | None]:
    """The key with this prefix: this worker's kept copy while its stamps (the key's, its
    tenant's and its creator's) prove it current, else one query. Also the stamps' tag."""
    owners = API_KEY_OWNERS.get(prefix)
    tag = None
    if owners is not None:
        tenant_id, creator_id = owners
        tag = STAMPS.tag(
            api_key_stamp(prefix),
            tenant_stamp(tenant_id),
            user_stamp(creator_id),
            tenant=tenant_id,
        )
    if tag is not None:
        kept = API_KEYS.get(prefix, tag)
        if kept is not None:
            return kept, tag
    api_key = (
        ApiKey.objects.select_related("tenant", "tenant__subscription__plan", "created_by")
        .filter(prefix=prefix)
        .first()
    )
    if api_key is None:
        return None, None
    if tag is not None:
        API_KEYS.put(prefix, tag, api_key)
    else:
        # Learned before the hash is checked, which is harmless: it only names stamps.
        API_KEY_OWNERS.learn(prefix, api_key.tenant_id, api_key.created_by_id)
    return api_key, tag


def _touch(api_key: ApiKey) -> bool:
    """Record use at most once per API_KEY_TOUCH_INTERVAL, not a write per request.
    True when this call recorded it."""
    now = timezone.now()
    stale_before = now - settings.API_KEY_TOUCH_INTERVAL
    if api_key.last_used_at is not None and api_key.last_used_at > stale_before:
        return False
    # The conditional UPDATE lets one of many concurrent workers win the write.
    ApiKey.objects.filter(pk=api_key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale_before)
    ).update(last_used_at=now)
    api_key.last_used_at = now
    return True
