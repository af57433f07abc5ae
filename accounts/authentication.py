"""DRF authentication: Bearer JWT (people) and X-API-Key (programs).

Both set `request.auth` to a tenants.context.AuthContext, so permissions and
scoped querysets never care which one was used.

Each request is checked against the current state: the membership joined with
its user, tenant and plan, either loaded in one query or taken from this worker's
cache after the access versions read in the same Redis round trip as the
denylist proved it current (accounts.principals). A removed or deactivated
member, a deactivated user, a deleted tenant and a changed role therefore take
effect on the very next request; the role in the token is never trusted.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, Q
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication

from accounts import principals, revocation
from accounts.models import ApiKey, RevokedAccessToken
from accounts.tokens import TokenError, decode_token
from catalytic.api_errors import ApiError
from catalytic.ratelimits import undo_hits
from catalytic.throttling import windows_to_count
from tenants.context import AuthContext
from tenants.models import Membership, Role, Tenant

# Tenants whose members may still authenticate (a suspended tenant must be able to pay).
LIVE_TENANT_STATUSES = (Tenant.Status.ACTIVE, Tenant.Status.SUSPENDED)
API_KEY_PREFIX = "cat_"
# API key id -> when this worker last wrote last_used_at (cached keys keep the old value).
_TOUCHED: dict[uuid.UUID, Any] = {}


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(message, code=code, status_code=401)


def _revoked() -> TokenError:
    return TokenError("revoked", "This token has been revoked.")


def _load_membership(
    user_id: uuid.UUID, tenant_id: uuid.UUID, jti: str, verdict: revocation.Verdict
) -> Membership | None:
    """One query: membership + user + tenant + subscription plan (+ the denylist row)."""
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
    return memberships.first()


def session_membership(claims: dict[str, Any]) -> Membership:
    """The live membership behind verified access-token claims, or TokenError("revoked").

    One Redis round trip (denylist + access versions + the API rate-limit hits), then
    either this worker's cached membership, proven current by those versions, or one
    query: membership + user + tenant + subscription plan, with the durable denylist
    folded in as a subquery whenever the cache cannot answer alone.
    """
    jti = str(claims["jti"])
    try:
        user_id, tenant_id = uuid.UUID(str(claims["sub"])), uuid.UUID(str(claims["tenant_id"]))
    except ValueError:
        raise TokenError("malformed", "The token's subject is not valid.")
    user_key = revocation.user_version_key(user_id)
    tenant_key = revocation.tenant_version_key(tenant_id)
    data_key = revocation.tenant_data_version_key(tenant_id)
    windows = windows_to_count(tenant_id, None, time.time())
    state = revocation.auth_state(jti, [user_key, tenant_key, data_key], windows)
    try:
        membership = _live_membership(claims, user_id, tenant_id, state, user_key, tenant_key)
    except TokenError:
        if state.rate_counts:
            undo_hits(windows)
        raise
    membership.data_tag = state.tag(tenant_key, data_key)
    membership.rate_counts = state.rate_counts
    return membership


def _live_membership(
    claims: dict[str, Any],
    user_id: uuid.UUID,
    tenant_id: uuid.UUID,
    state: revocation.AuthState,
    user_key: str,
    tenant_key: str,
) -> Membership:
    if state.verdict is revocation.Verdict.REVOKED:
        raise _revoked()
    tag = state.tag(user_key, tenant_key)
    membership = None
    if tag is not None:
        membership = principals.MEMBERSHIPS.get((user_id, tenant_id), tag)
    if membership is None:
        membership = _load_membership(user_id, tenant_id, str(claims["jti"]), state.verdict)
        if state.verdict is revocation.Verdict.COLD:
            revocation.warm_cache()
        if membership is None or getattr(membership, "denylisted", False):
            raise _revoked()
        if tag is not None:
            principals.MEMBERSHIPS.put((user_id, tenant_id), tag, membership)
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
            data_tag=getattr(membership, "data_tag", None),
            rate_counts=getattr(membership, "rate_counts", None),
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
        api_key, windows, rate_counts = self._load(parts[0])
        try:
            self._check(api_key, raw)
        except ApiError:
            if rate_counts:
                undo_hits(windows)  # a guessed prefix must not spend the key's allowance
            raise
        assert api_key is not None  # _check refused a missing key
        context = AuthContext(
            tenant_id=api_key.tenant_id,
            role=Role.MEMBER if api_key.scope == ApiKey.Scope.WRITE else Role.VIEWER,
            method="api_key",
            scope=api_key.scope,
            api_key_id=api_key.id,
            preloaded_tenant=api_key.tenant,
            data_tag=getattr(api_key, "data_tag", None),
            rate_counts=rate_counts,
        )
        return api_key.created_by or AnonymousUser(), context

    def _check(self, api_key: ApiKey | None, raw: str) -> None:
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

    @staticmethod
    def _load(prefix: str) -> tuple[ApiKey | None, list[Any], dict[Any, Any] | None]:
        """The key with this prefix: this worker's cached copy when the versions prove it
        current (read in one Redis round trip, which also counts the API rate-limit
        hits), else one query. Returns the key, the windows hit and their counts."""
        owners = principals.API_KEY_OWNERS.get(prefix)
        state = tag = data_tag = None
        windows: list[Any] = []
        if owners is not None:
            tenant_id, creator_id, key_id = owners
            keys = [
                revocation.api_key_version_key(prefix),
                revocation.tenant_version_key(tenant_id),
            ]
            if creator_id is not None:
                keys.append(revocation.user_version_key(creator_id))
            data_key = revocation.tenant_data_version_key(tenant_id)
            windows = windows_to_count(tenant_id, key_id, time.time())
            state = revocation.auth_state(None, [*keys, data_key], windows)
            tag = state.tag(*keys)
            data_tag = state.tag(keys[1], data_key)
            if tag is not None:
                cached = principals.API_KEYS.get(prefix, tag)
                if cached is not None:
                    cached.data_tag = data_tag
                    return cached, windows, state.rate_counts
        rate_counts = state.rate_counts if state is not None else None
        api_key = (
            ApiKey.objects.select_related("tenant", "tenant__subscription__plan", "created_by")
            .filter(prefix=prefix)
            .first()
        )
        if api_key is None:
            return None, windows, rate_counts
        _TOUCHED.pop(api_key.pk, None)  # the row's last_used_at is current again
        if state is not None and state.verdict is revocation.Verdict.COLD:
            revocation.warm_cache()
        learned = (api_key.tenant_id, api_key.created_by_id, api_key.id)
        if owners == learned and tag is not None:
            # Tagged with versions read *before* this load: a write racing with it
            # bumps past the tag, so the entry is dropped on its next use.
            principals.API_KEYS.put(prefix, tag, api_key)
            api_key.data_tag = data_tag
        elif len(principals.API_KEY_OWNERS) < principals.API_KEY_OWNERS_MAX:
            # Learned before the hash check, which is harmless: these facts only name
            # the versions to read next time; nothing is trusted from them.
            principals.API_KEY_OWNERS[prefix] = learned
        return api_key, windows, rate_counts

    @staticmethod
    def _touch(api_key: ApiKey) -> None:
        """Record use at most once per API_KEY_TOUCH_INTERVAL, not a write per request."""
        now = timezone.now()
        stale_before = now - settings.API_KEY_TOUCH_INTERVAL
        seen = max(
            (t for t in (api_key.last_used_at, _TOUCHED.get(api_key.pk)) if t is not None),
            default=None,
        )
        if seen is not None and seen > stale_before:
            return
        _TOUCHED[api_key.pk] = now
        if len(_TOUCHED) > principals.API_KEY_OWNERS_MAX:
            _TOUCHED.clear()
        # The conditional UPDATE lets one of many concurrent workers win the write.
        ApiKey.objects.filter(pk=api_key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale_before)
        ).update(last_used_at=now)
        api_key.last_used_at = now
