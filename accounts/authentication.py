"""DRF authentication: Bearer JWT (people) and X-API-Key (programs).

Both set `request.auth` to a tenants.context.AuthContext, so permissions, throttles,
metering and scoped querysets never care which one was used, and both confirm the caller
with ONE indexed query that returns plain values (no model instances):

- JWT: simplejwt verifies the signature, expiry and type; then the query confirms that
  the token's claims are still true: its sign-in (`family`) is not revoked, the person is
  an active member of the tenant with the role the token states, the user is active and
  the tenant is live. A logout, removal, role change, deactivation, password change or
  closed workspace is therefore refused on the very next request, on every app node.
  A role change makes the old access token fail; the client's refresh reads the new role.
- API key: the row by its prefix with its tenant's status, then a constant-time compare
  of the hash.

The same query brings the tenant's status and subscription, which the suspension check,
the per-plan rate limit and the metering need. `request.user` is lazy: only a view that
needs the User row (to record who did something) loads it.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from rest_framework.authentication import BaseAuthentication
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication

from accounts import credentials
from accounts.models import ApiKey, User
from accounts.tokens import USER_ID_CLAIM, Rejected, verified_access_token
from catalytic.api_errors import ApiError
from tenants.context import AuthContext
from tenants.models import Role, Tenant

API_KEY_PREFIX = "cat_"


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(message, code=code, status_code=401)


class LazyUser(SimpleLazyObject):
    """`request.user` of an API caller: the User row loads on first use, which most API
    requests never make. Its id, and that it is authenticated, the one query already
    proved, so recording who did something (an operation's or audit row's actor id)
    loads nothing."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, user_id: uuid.UUID) -> None:
        super().__init__(partial(User.objects.get, pk=user_id))
        # Straight into the instance: assigning through the proxy would load the row.
        self.__dict__["user_id"] = user_id

    @property
    def pk(self) -> uuid.UUID:
        return self.__dict__["user_id"]

    @property
    def id(self) -> uuid.UUID:
        return self.__dict__["user_id"]


def confirm_access_token(token: Any) -> AuthContext:
    """The caller behind a verified access token, if its claims are still true; else
    Rejected("revoked"). One query (accounts.credentials)."""
    tenant_id = uuid.UUID(token["tenant_id"])
    user_id = uuid.UUID(token[USER_ID_CLAIM])
    family = uuid.UUID(token["family"])
    tenant = credentials.live_sign_in(
        family=family, user_id=user_id, tenant_id=tenant_id, role=token["role"], now=timezone.now()
    )
    if tenant is None:
        raise Rejected("revoked", "This token has been revoked.")
    return AuthContext(
        tenant_id=tenant_id,
        role=token["role"],
        method="jwt",
        tenant_status=tenant.status,
        subscription=tenant.subscription,
        user_id=user_id,
        family=family,
        two_factor_missing=tenant.two_factor_missing,
    )


class JWTAuthentication(SimpleJWTAuthentication):
    """simplejwt's authentication, with the token's claims confirmed as described above."""

    www_authenticate_realm = "api"

    def authenticate(self, request: Any) -> tuple[Any, AuthContext] | None:
        header = self.get_header(request)
        if header is None:
            return None
        raw = self.get_raw_token(header)
        if raw is None:
            raise _unauthorized("invalid_authorization", "Use 'Authorization: Bearer <token>'.")
        try:
            context = confirm_access_token(self.get_validated_token(raw))
        except Rejected as exc:
            raise _unauthorized(f"token_{exc.reason}", exc.message)
        return LazyUser(context.user_id), context

    def get_validated_token(self, raw_token: bytes) -> Any:
        """The access token, verified (accounts.tokens.verified_access_token), or Rejected
        with the reason (simplejwt's own version lumps every refusal into one message)."""
        return verified_access_token(raw_token)


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

    A write key acts with the `member` role and a read key with `viewer`, whatever the
    role of the person who created it: keys belong to the tenant, can never manage the
    team or other keys (admin endpoints), and keep working after their creator leaves
    until an owner or admin revokes them.
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
        now = timezone.now()
        stale_before = now - settings.API_KEY_TOUCH_INTERVAL
        key = credentials.api_key_by_prefix(parts[0], now=now, used_since=stale_before)
        # SECURITY: constant-time comparison of the hash; an unknown prefix and a
        # wrong secret give the same answer.
        if key is None or not hmac.compare_digest(key.key_hash, hash_api_key(raw)):
            raise _unauthorized("invalid_api_key", "This API key is not valid.")
        if key.revoked:
            raise _unauthorized("api_key_revoked", "This API key has been revoked.")
        if key.expired:
            raise _unauthorized("api_key_expired", "This API key has expired.")
        if key.tenant.status not in Tenant.LIVE_STATUSES:
            raise _unauthorized("invalid_api_key", "This API key is not valid.")
        if not key.used_recently:
            # Use is recorded at most once per API_KEY_TOUCH_INTERVAL, not a write per
            # request; the conditional UPDATE lets one of many concurrent workers win.
            ApiKey.objects.filter(pk=key.id).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale_before)
            ).update(last_used_at=now)
        context = AuthContext(
            tenant_id=key.tenant_id,
            role=Role.MEMBER if key.scope == ApiKey.Scope.WRITE else Role.VIEWER,
            method="api_key",
            tenant_status=key.tenant.status,
            subscription=key.tenant.subscription,
            scope=key.scope,
            api_key_id=key.id,
        )
        creator_id = key.created_by_id
        user = LazyUser(creator_id) if creator_id is not None else AnonymousUser()
        return user, context
