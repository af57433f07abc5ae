from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from rest_framework import serializers

from tenants.models import AuditEvent, Invitation, Membership, Role, Tenant

# RFC 1123 host names: labels of letters, digits and inner hyphens.
DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$"
)


def clean_domain(value: str) -> str:
    value = (value or "").strip().lower().rstrip(".")
    if value and not DOMAIN_RE.match(value):
        raise serializers.ValidationError("Enter a domain name like example.com.")
    return value


# The plan billing counts a tenant without a subscription row on: billing/plans.py
# DEFAULT_PLAN_CODE, which this layer (below billing) cannot import;
# tests/billing/test_plans.py keeps the two equal.
NO_SUBSCRIPTION_PLAN = "free"


class TenantSerializer(serializers.ModelSerializer):
    """The tenant, with its subscription's plan and status (billing's rows, read here).

    A tenant without a subscription row yet is on Free, with a null status.
    """

    plan = serializers.SerializerMethodField()
    subscription_status = serializers.SerializerMethodField()

    class Meta:
        model = Tenant
        fields = [
            "id",
            "slug",
            "name",
            "status",
            "suspended_reason",
            "domain",
            "billing_email",
            "require_two_factor",
            "plan",
            "subscription_status",
            "created_at",
        ]
        read_only_fields = fields

    def _subscription(self, tenant: Tenant) -> Any:
        try:
            return tenant.subscription
        except ObjectDoesNotExist:
            return None

    def get_plan(self, tenant: Tenant) -> str:
        subscription = self._subscription(tenant)
        return subscription.plan.code if subscription is not None else NO_SUBSCRIPTION_PLAN

    def get_subscription_status(self, tenant: Tenant) -> str | None:
        subscription = self._subscription(tenant)
        return subscription.status if subscription is not None else None


class TenantUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    domain = serializers.CharField(max_length=253, required=False, allow_blank=True)
    billing_email = serializers.EmailField(max_length=254, required=False)
    require_two_factor = serializers.BooleanField(
        required=False,
        help_text="Members must turn on two-factor sign-in (owner only; the owner first).",
    )

    def validate_domain(self, value: str) -> str:
        return clean_domain(value)

    def validate_billing_email(self, value: str) -> str:
        return value.strip().lower()


class MemberUserSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()


class MembershipSerializer(serializers.ModelSerializer):
    user = MemberUserSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "is_active", "created_at"]
        read_only_fields = fields


class MemberInviteSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)


class MemberUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    is_active = serializers.BooleanField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Send `role` and/or `is_active`.")
        return attrs


class InvitationSerializer(serializers.ModelSerializer):
    invited_by = serializers.EmailField(source="invited_by.email", default=None, read_only=True)
    status = serializers.CharField(read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "status", "invited_by", "created_at", "expires_at"]
        read_only_fields = fields


class MemberAddedSerializer(serializers.Serializer):
    """POST /members answers with one of the two, as `result` says."""

    result = serializers.ChoiceField(choices=["added", "invited"])
    member = MembershipSerializer(required=False)
    invitation = InvitationSerializer(required=False)


class InvitationAcceptSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)


class AuditActorSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()


class AuditEventSerializer(serializers.ModelSerializer):
    actor = AuditActorSerializer(read_only=True, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "action", "actor", "target", "ip_address", "metadata", "created_at"]
        read_only_fields = fields
