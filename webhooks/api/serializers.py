from __future__ import annotations

from rest_framework import serializers

from tenants.events import EVENT_TYPES
from webhooks.models import WebhookDelivery, WebhookEndpoint


class EventTypesField(serializers.ListField):
    child = serializers.ChoiceField(choices=EVENT_TYPES)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(allow_empty=False, max_length=len(EVENT_TYPES), **kwargs)

    def to_internal_value(self, data: object) -> list[str]:
        # Stored once each, in the documented order, however the client listed them.
        chosen = set(super().to_internal_value(data))
        return [name for name in EVENT_TYPES if name in chosen]


class WebhookEndpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "events",
            "description",
            "is_active",
            "disabled_reason",
            "failing_since",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookEndpointSecretSerializer(WebhookEndpointSerializer):
    """Create and rotate-secret answers: the signing secret, shown this once."""

    secret = serializers.CharField(read_only=True)

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointCreateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000)
    events = EventTypesField()
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


class WebhookEndpointUpdateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000, required=False)
    events = EventTypesField(required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.UUIDField(source="event.id", read_only=True)
    event_type = serializers.CharField(source="event.type", read_only=True)
    status_code = serializers.IntegerField(source="last_status_code", allow_null=True)
    duration_ms = serializers.IntegerField(source="last_duration_ms", allow_null=True)
    error = serializers.CharField(source="last_error")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "status_code",
            "duration_ms",
            "error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


class PingSerializer(serializers.Serializer):
    event_id = serializers.UUIDField()
    type = serializers.CharField()
