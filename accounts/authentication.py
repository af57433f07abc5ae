"""DRF authentication: Bearer JWT (people) and X-API-Key (programs).

Both set `request.auth` to a tenants.context.AuthContext, so permissions and
scoped querysets never care which one was used.
"""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication

from accounts.tokens import TokenError, decode_token
from catalytic.api_errors import ApiError
from tenants.context import AuthContext
from tenants.models import Membership


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(message, code=code, status_code=401)


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
        except TokenError as exc:
            raise _unauthorized(f"token_{exc.reason}", exc.message)
        membership = (
            Membership.objects.select_related("user", "tenant")
            .filter(
                user_id=claims["sub"],
                tenant_id=claims["tenant_id"],
                is_active=True,
                user__is_active=True,
            )
            .first()
        )
        if membership is None:
            raise _unauthorized("token_revoked", "This token no longer grants access.")
        context = AuthContext(
            tenant_id=membership.tenant_id,
            role=membership.role,
            method="jwt",
            jti=claims["jti"],
            expires_at=claims["exp"],
            preloaded_tenant=membership.tenant,
        )
        return membership.user, context


class ApiKeyAuthentication(BaseAuthentication):
    header = "HTTP_X_API_KEY"

    def authenticate_header(self, request: Any) -> str:
        return 'ApiKey realm="api"'

    def authenticate(self, request: Any) -> tuple[Any, AuthContext] | None:
        if not request.META.get(self.header):
            return None
        raise _unauthorized("invalid_api_key", "API keys are not accepted yet.")
