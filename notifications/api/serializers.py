from __future__ import annotations

from typing import Any

from rest_framework import serializers

from notifications.models import Kind, OutboxMessage

MAX_RECIPIENTS = 50

# SECURITY: only kinds whose content cannot impersonate the product's own
# transactional mail (no reset links, no payment notices) may be sent on demand.
API_KINDS = (Kind.WELCOME, Kind.NOTICE)


class NoticeContextSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    message = serializers.CharField(max_length=10_000)


class EmailSendSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[(kind.value, kind.label) for kind in API_KINDS])
    to = serializers.ListField(
        child=serializers.EmailField(max_length=254),
        min_length=1,
        max_length=MAX_RECIPIENTS,
    )
    context = serializers.DictField(required=False, default=dict)

    def validate_to(self, value: list[str]) -> list[str]:
        unique: list[str] = []
        for address in value:
            normalized = address.strip().lower()
            if normalized not in unique:
                unique.append(normalized)
        return unique

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        context = attrs.get("context") or {}
        if attrs["kind"] == Kind.NOTICE:
            notice = NoticeContextSerializer(data=context)
            if not notice.is_valid():
                raise serializers.ValidationError({"context": notice.errors})
            unknown = sorted(set(context) - set(notice.fields))
            attrs["context"] = dict(notice.validated_data)
        else:
            unknown = sorted(context)
        if unknown:
            raise serializers.ValidationError(
                {"context": [f"Unknown keys for {attrs['kind']}: {', '.join(unknown)}"]}
            )
        return attrs


NOT_DELIVERED = "not_delivered"


class SentMessageSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    to = serializers.EmailField(source="to_email")
    status = serializers.SerializerMethodField(
        help_text=f"The outbox status; `{NOT_DELIVERED}` when no email provider is configured "
        "and the message was only written to the server's console."
    )

    def get_status(self, message: OutboxMessage) -> str:
        return NOT_DELIVERED if message.went_nowhere else message.status


class EmailSendResponseSerializer(serializers.Serializer):
    messages = SentMessageSerializer(many=True)


class QueueSerializer(serializers.Serializer):
    queued = serializers.IntegerField()
    failed = serializers.IntegerField()


class EmailServiceStatusSerializer(serializers.Serializer):
    providers = serializers.ListField(
        child=serializers.CharField(),
        help_text='In the order tried; a local backend reads "console (not delivered)".',
    )
    delivering = serializers.BooleanField(
        help_text="False when no provider is configured: email only reaches the console."
    )
    queue = QueueSerializer()
    last_sent_at = serializers.DateTimeField(allow_null=True)
