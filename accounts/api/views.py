"""Auth API: login, refresh, logout, verify, health, password reset."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView, TokenVerifyView

from accounts import services
from accounts.api.serializers import (
    AcceptedSerializer,
    AuthHealthSerializer,
    LogoutSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetSerializer,
    SessionSerializer,
    VerifyResponseSerializer,
)
from accounts.api.token_serializers import LoginSerializer, RefreshSerializer, VerifySerializer
from accounts.jwt_keys import keyring
from accounts.models import TokenFamily
from accounts.tokens import jwt_settings
from catalytic.errors import ServiceError
from catalytic.openapi import errors as openapi_errors
from catalytic.ratelimits import configured_rate, enforce_ip_and_email
from tenants.permissions import IsTenantMember, auth_context

# What these endpoints' own error codes mean, beside the generic descriptions.
DESCRIPTIONS = {
    400: "Invalid fields.",
    403: "Not allowed.",
    404: "Not found (or another tenant's).",
    429: "Rate limited; see Retry-After.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return openapi_errors(*codes, descriptions=DESCRIPTIONS)


def validated(serializer_class: type, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class PublicView(APIView):
    """No credentials: a stale Authorization header must not block a login."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]


class LoginView(TokenObtainPairView):
    """simplejwt's view with SIMPLE_JWT's TOKEN_OBTAIN_SERIALIZER (token_serializers)."""

    @extend_schema(
        request=LoginSerializer,
        responses={200: SessionSerializer, **errors(400, 401, 403, 429)},
        auth=[],
        summary="Log in with email and password",
        examples=[
            OpenApiExample(
                "Log in",
                request_only=True,
                value={"email": "ada@acme.example", "password": "correct-horse-battery-staple"},
            ),
            OpenApiExample(
                "Logged in",
                response_only=True,
                status_codes=["200"],
                value={
                    "access_token": "eyJhbGciOiJSUzI1NiIsImtpZCI6...",
                    "refresh_token": "eyJhbGciOiJSUzI1NiIsImtpZCI6...",
                    "token_type": "bearer",
                    "expires_in": 900,
                    "user": {
                        "id": "93c7d6f6-100a-4a7d-9588-594dbdfb44dd",
                        "email": "ada@acme.example",
                        "first_name": "Ada",
                        "last_name": "Lovelace",
                        "role": "owner",
                    },
                    "tenant": {
                        "id": "a55d8bef-988f-496b-b20e-6dced9f421fd",
                        "slug": "acme-research",
                        "name": "Acme Research",
                        "status": "active",
                    },
                },
            ),
            OpenApiExample(
                "Wrong email or password",
                response_only=True,
                status_codes=["401"],
                value={
                    "error": {
                        "code": "invalid_credentials",
                        "message": "The email or password is incorrect.",
                        "details": None,
                    }
                },
            ),
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Count the attempt before anything else, so invalid bodies count too.
        raw_email = request.data.get("email") if isinstance(request.data, dict) else None
        enforce_ip_and_email(
            request,
            "login",
            raw_email if isinstance(raw_email, str) else None,
            configured_rate("RATELIMIT_LOGIN"),
        )
        return super().post(request, *args, **kwargs)


class RefreshView(TokenRefreshView):
    """simplejwt's view with SIMPLE_JWT's TOKEN_REFRESH_SERIALIZER (token_serializers)."""

    @extend_schema(
        request=RefreshSerializer,
        responses={200: SessionSerializer, **errors(400, 401)},
        auth=[],
        summary="Exchange a refresh token for a new pair (the old one dies)",
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)


class LogoutView(APIView):
    permission_classes = [IsTenantMember]
    two_factor_exempt = True

    @extend_schema(
        request=LogoutSerializer,
        responses={204: None, **errors(400, 401)},
        summary="End this session: the access token and its refresh tokens stop working",
    )
    def post(self, request: Request) -> Response:
        context = auth_context(request)
        assert context is not None
        if context.method != "jwt":
            raise ServiceError(
                "Logout ends a login session; revoke an API key instead.",
                code="not_a_session",
                status=400,
            )
        data = validated(LogoutSerializer, request)
        services.logout(
            user=request.user,
            context=context,
            refresh_token=data.get("refresh_token", ""),
            request=request,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class VerifyView(TokenVerifyView):
    """simplejwt's view with SIMPLE_JWT's TOKEN_VERIFY_SERIALIZER (token_serializers)."""

    @extend_schema(
        request=VerifySerializer,
        responses={200: VerifyResponseSerializer, **errors(400, 401)},
        auth=[],
        summary="Check a token: signature, expiry and revocation",
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)


def _denylist_status() -> dict[str, object]:
    """Where ended sessions are recorded (the database, read by every request)."""
    try:
        TokenFamily.objects.exists()
    except DatabaseError:
        return {"backend": "database", "connected": False}
    return {"backend": "database", "connected": True}


class AuthHealthView(PublicView):
    @extend_schema(
        responses={200: AuthHealthSerializer, 503: AuthHealthSerializer},
        auth=[],
        summary="Signing key and revocation backend status",
    )
    def get(self, request: Request) -> Response:
        try:
            key_id: str | None = keyring().signing_kid
        except Exception:  # noqa: BLE001 - an unreadable key is exactly what this reports
            key_id = None
        denylist = _denylist_status()
        healthy = key_id is not None and denylist["connected"]
        body = {
            "status": "healthy" if healthy else "degraded",
            "algorithm": jwt_settings().ALGORITHM,
            "key_id": key_id,
            "denylist": denylist,
        }
        return Response(body, status=200 if healthy else 503)


class PasswordResetView(PublicView):
    @extend_schema(
        request=PasswordResetSerializer,
        responses={202: AcceptedSerializer, **errors(400, 429)},
        auth=[],
        summary="Email a password reset link (the answer is the same for unknown emails)",
    )
    def post(self, request: Request) -> Response:
        raw_email = request.data.get("email") if isinstance(request.data, dict) else None
        enforce_ip_and_email(
            request,
            "password-reset",
            raw_email if isinstance(raw_email, str) else None,
            configured_rate("RATELIMIT_PASSWORD_RESET"),
        )
        data = validated(PasswordResetSerializer, request)
        services.request_password_reset(email=data["email"], request=request)
        return Response({"status": "accepted"}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(PublicView):
    @extend_schema(
        request=PasswordResetConfirmSerializer,
        responses={204: None, **errors(400, 429)},
        auth=[],
        summary="Set a new password from a reset link; every session is ended",
    )
    def post(self, request: Request) -> Response:
        enforce_ip_and_email(
            request, "password-reset-confirm", None, configured_rate("RATELIMIT_PASSWORD_RESET")
        )
        data = validated(PasswordResetConfirmSerializer, request)
        services.confirm_password_reset(
            uid=data["uid"], token=data["token"], new_password=data["new_password"], request=request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
