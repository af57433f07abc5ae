from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.models import ApiKey


class TenantSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    slug = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()


class SessionUserSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="user.id")
    email = serializers.EmailField(source="user.email")
    first_name = serializers.CharField(source="user.first_name")
    last_name = serializers.CharField(source="user.last_name")
    role = serializers.CharField()


class TokenPairSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField(default="bearer")
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")


class SessionSerializer(TokenPairSerializer):
    """Login, refresh and accepted invitation: a token pair with who and where."""

    user = SessionUserSerializer()
    tenant = TenantSummarySerializer()


def session_body(session: Any) -> dict[str, Any]:
    membership = session.membership
    return {
        **session.tokens.as_dict(),
        "user": SessionUserSerializer(membership).data,
        "tenant": TenantSummarySerializer(membership.tenant).data,
    }


class LogoutSerializer(serializers.Serializer):
    refresh_token = serializers.CharField(max_length=8192, required=False, allow_blank=True)


class VerifyResponseSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    claims = serializers.DictField(required=False)
    reason = serializers.ChoiceField(
        choices=["expired", "revoked", "bad_signature", "malformed", "wrong_type"],
        required=False,
    )
    message = serializers.CharField(required=False)


class DenylistStatusSerializer(serializers.Serializer):
    backend = serializers.ChoiceField(choices=["redis", "database"])
    connected = serializers.BooleanField()


class AuthHealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["healthy", "degraded"])
    algorithm = serializers.CharField()
    key_id = serializers.CharField(allow_null=True)
    denylist = DenylistStatusSerializer()


class PasswordResetSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=100)
    token = serializers.CharField(max_length=200)
    new_password = serializers.CharField(max_length=4096, trim_whitespace=False)


class AcceptedSerializer(serializers.Serializer):
    status = serializers.CharField()


class ApiKeySerializer(serializers.ModelSerializer):
    created_by = serializers.EmailField(source="created_by.email", default=None, read_only=True)

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "scope",
            "created_at",
            "created_by",
            "last_used_at",
            "expires_at",
        ]
        read_only_fields = ["id", "prefix", "created_at", "created_by", "last_used_at"]


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scope = serializers.ChoiceField(choices=ApiKey.Scope.choices)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class NewApiKeySerializer(ApiKeySerializer):
    key = serializers.CharField(help_text="The full key. It is shown this once only.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
