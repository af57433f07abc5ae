"""Store each event (tenants.events) for the endpoints subscribed to it, inside the
transaction of the change, so the workers deliver exactly what committed."""

from __future__ import annotations

from typing import Any

from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent


def record_event(
    sender: Any, *, tenant: Any, event_type: str, data: dict[str, Any], **kwargs: Any
) -> WebhookEvent | None:
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.for_tenant(tenant).filter(is_active=True)
        if event_type in endpoint.events
    ]
    if not endpoints:
        return None  # nobody listens: nothing to store
    return store_event(tenant, event_type, data, endpoints)


def store_event(
    tenant: Any, event_type: str, data: dict[str, Any], endpoints: list[WebhookEndpoint]
) -> WebhookEvent:
    event = WebhookEvent.objects.create(tenant=tenant, type=event_type, data=data)
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(tenant=tenant, endpoint=endpoint, event=event) for endpoint in endpoints
    )
    return event
