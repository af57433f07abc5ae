"""simplejwt's obtain, refresh and verify serializers (bodies pinned by tests/accounts).

simplejwt's views serve `/api/tenants/login`, `/api/tenants/refresh` and `/api/auth/verify`
(accounts.api.views) with these serializers, named in `SIMPLE_JWT`. They are subclassed
where a token of ours is more than simplejwt's: it is issued for a membership (the
tenant, role and sign-in are claims), a refresh re-reads the role and detects reuse
(accounts.sessions), and verification also asks whether the sign-in is still live.
Refusals are ServiceErrors, rendered in the API's one error shape.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework_simplejwt.serializers import (
    PasswordField,
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
    TokenVerifySerializer,
)

from accounts import services
from accounts.api.serializers import session_body
from accounts.authentication import confirm_access_token
from accounts.models import TokenFamily
from accounts.tokens import USER_ID_CLAIM, AccessToken, RefreshToken, Rejected, verified
from catalytic.errors import ServiceError
from tenants.models import Membership


class LoginSerializer(TokenObtainPairSerializer):
    """Email, password and, for a person in several tenants, which one (slug or id); with
    two-factor sign-in on, `otp_code` too (401 `otp_required` without it)."""

    token_class = RefreshToken
    tenant = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="Tenant slug or id."
    )
    otp_code = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="With two-factor sign-in on: the authenticator app's code or a recovery code.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[self.username_field] = serializers.EmailField(max_length=254, write_only=True)
        self.fields["password"] = PasswordField(max_length=4096, trim_whitespace=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        session = services.login(
            email=attrs["email"],
            password=attrs["password"],
            tenant_ref=attrs.get("tenant", ""),
            otp_code=attrs.get("otp_code", ""),
            request=self.context.get("request"),
        )
        self.user = session.membership.user
        return session_body(session)


class RefreshSerializer(TokenRefreshSerializer):
    """`refresh_token` → a new pair. Rotation is always on: the old refresh token is
    blacklisted, the role is read afresh, and presenting a rotated token again ends every
    session of the user (accounts.sessions.refresh)."""

    refresh = None
    access = None
    refresh_token = serializers.CharField(max_length=8192, write_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        session = services.refresh(
            refresh_token=attrs["refresh_token"], request=self.context.get("request")
        )
        return session_body(session)


def honoured_claims(raw: str) -> dict[str, Any]:
    """The claims of an access or refresh token that is honoured right now, or Rejected."""
    try:
        token = verified(AccessToken, raw)
    except Rejected as exc:
        if exc.reason != "wrong_type":
            raise
        token = verified(RefreshToken, raw)
        live = TokenFamily.objects.filter(
            pk=token["family"],
            user_id=token[USER_ID_CLAIM],
            revoked_at__isnull=True,
            membership__in=Membership.objects.live(),
        )
        if not live.exists():
            raise Rejected("revoked", "This token has been revoked.")
    else:
        confirm_access_token(token)
    return dict(token.payload)


class VerifySerializer(TokenVerifySerializer):
    """A token → its claims, if its signature, expiry and sign-in are all still good."""

    token = serializers.CharField(max_length=8192, write_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            claims = honoured_claims(attrs["token"])
        except Rejected as exc:
            raise ServiceError(exc.message, code=f"token_{exc.reason}", status=401)
        return {"valid": True, "claims": claims}
