"""`POST /api/tenants/register`: sign-up over the API (the service is workspaces.signup)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import sessions
from accounts.api.serializers import TenantSummarySerializer, TokenPairSerializer
from accounts.api.views import PublicView, validated
from accounts.models import User
from billing.models import Plan
from billing.plans import DEFAULT_PLAN_CODE
from catalytic.openapi import errors
from catalytic.ratelimits import configured_rate, enforce_ip_and_email
from tenants.api.serializers import clean_domain
from workspaces.signup import register_tenant


class RegisterSerializer(serializers.Serializer):
    company_name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    domain = serializers.CharField(max_length=253, required=False, allow_blank=True, default="")
    plan_code = serializers.CharField(max_length=32, required=False, default=DEFAULT_PLAN_CODE)

    def validate_domain(self, value: str) -> str:
        return clean_domain(value)

    def validate_plan_code(self, value: str) -> str:
        if not Plan.objects.filter(code=value, is_active=True).exists():
            codes = ", ".join(Plan.objects.filter(is_active=True).values_list("code", flat=True))
            raise serializers.ValidationError(f"Unknown plan; choose one of: {codes}.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        candidate = User(
            email=attrs["email"].lower(),
            first_name=attrs["first_name"],
            last_name=attrs["last_name"],
        )
        try:
            password_validation.validate_password(attrs["password"], candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)})
        return attrs


class RegisteredUserSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="user.id")
    email = serializers.EmailField(source="user.email")
    role = serializers.CharField()


class RegisterResponseSerializer(serializers.Serializer):
    tenant = TenantSummarySerializer()
    user = RegisteredUserSerializer()
    tokens = TokenPairSerializer()


def _raw_email(request: Request) -> str | None:
    value = request.data.get("email") if isinstance(request.data, dict) else None
    return value if isinstance(value, str) else None


class RegisterView(PublicView):
    @extend_schema(
        request=RegisterSerializer,
        responses={201: RegisterResponseSerializer, **errors(400, 409, 429)},
        auth=[],
        summary="Sign up: a new tenant, its owner and its subscription",
        examples=[
            OpenApiExample(
                "Sign up on the Starter trial",
                request_only=True,
                value={
                    "company_name": "Acme Research",
                    "email": "ada@acme.example",
                    "password": "correct-horse-battery-staple",
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "domain": "acme.example",
                    "plan_code": "starter",
                },
            ),
            OpenApiExample(
                "Signed up",
                response_only=True,
                status_codes=["201"],
                value={
                    "tenant": {
                        "id": "a55d8bef-988f-496b-b20e-6dced9f421fd",
                        "slug": "acme-research",
                        "name": "Acme Research",
                        "status": "active",
                    },
                    "user": {
                        "id": "93c7d6f6-100a-4a7d-9588-594dbdfb44dd",
                        "email": "ada@acme.example",
                        "role": "owner",
                    },
                    "tokens": {
                        "access_token": "eyJhbGciOiJSUzI1NiIsImtpZCI6...",
                        "refresh_token": "eyJhbGciOiJSUzI1NiIsImtpZCI6...",
                        "token_type": "bearer",
                        "expires_in": 900,
                    },
                },
            ),
            OpenApiExample(
                "Email already registered",
                response_only=True,
                status_codes=["409"],
                value={
                    "error": {
                        "code": "email_taken",
                        "message": "An account with this email already exists; log in instead.",
                        "details": {"email": ["An account with this email already exists."]},
                    }
                },
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        enforce_ip_and_email(
            request, "register", _raw_email(request), configured_rate("RATELIMIT_REGISTER")
        )
        data = validated(RegisterSerializer, request)
        # One transaction with the first token pair: if it cannot be issued, no tenant,
        # user or welcome email is left behind.
        with transaction.atomic():
            membership = register_tenant(
                company_name=data["company_name"],
                email=data["email"],
                password=data["password"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                domain=data["domain"],
                plan_code=data["plan_code"],
                request=request,
            )
            session = sessions.start_session(membership=membership, request=request)
        tenant = membership.tenant
        body = {
            "tenant": {
                "id": str(tenant.id),
                "slug": tenant.slug,
                "name": tenant.name,
                "status": tenant.status,
            },
            "user": {
                "id": str(membership.user_id),
                "email": membership.user.email,
                "role": membership.role,
            },
            "tokens": session.tokens.as_dict(),
        }
        return Response(body, status=status.HTTP_201_CREATED)
