"""Writes on webhook endpoints: register, change, rotate the secret, remove, ping."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from catalytic.errors import ServiceError
from tenants import audit
from tenants.events import PING
from webhooks import signing, targets
from webhooks.models import WebhookEndpoint, WebhookEvent
from webhooks.receivers import store_event


def check_target(url: str) -> None:
    """Refuse a URL the workers would never send to (400 `unsafe_webhook_url`)."""
    try:
        targets.resolve(url)
    except targets.UnsafeTarget as exc:
        raise ServiceError(str(exc), code="unsafe_webhook_url", details={"url": [str(exc)]})


def create_endpoint(
    *,
    tenant: Any,
    actor: Any,
    url: str,
    events: list[str],
    description: str = "",
    request: Any = None,
) -> WebhookEndpoint:
    check_target(url)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            tenant=tenant,
            url=url,
            events=events,
            description=description,
            secret=signing.new_secret(),
        )
        _audit("webhook.created", endpoint, actor, request, url=url, events=events)
    return endpoint


def update_endpoint(
    *, endpoint: WebhookEndpoint, actor: Any, changes: dict[str, Any], request: Any = None
) -> WebhookEndpoint:
    if "url" in changes:
        check_target(changes["url"])
    if changes.get("is_active") and not endpoint.is_active:
        # Enabled again by a person: start counting failures afresh.
        changes = {**changes, "failing_since": None, "disabled_reason": ""}
    with transaction.atomic():
        for name, value in changes.items():
            setattr(endpoint, name, value)
        endpoint.save()
        shown = {k: v for k, v in changes.items() if k in ("url", "events", "is_active")}
        _audit("webhook.updated", endpoint, actor, request, **shown)
    return endpoint


def rotate_secret(*, endpoint: WebhookEndpoint, actor: Any, request: Any = None) -> WebhookEndpoint:
    """A new secret at once; deliveries from now on are signed with it."""
    with transaction.atomic():
        endpoint.secret = signing.new_secret()
        endpoint.save(update_fields=["secret", "updated_at"])
        _audit("webhook.secret_rotated", endpoint, actor, request)
    return endpoint


def delete_endpoint(*, endpoint: WebhookEndpoint, actor: Any, request: Any = None) -> None:
    with transaction.atomic():
        _audit("webhook.deleted", endpoint, actor, request, url=endpoint.url)
        endpoint.delete()


def send_ping(*, endpoint: WebhookEndpoint, actor: Any) -> WebhookEvent:
    """Queue a `ping` event for this endpoint alone (whatever it subscribes to)."""
    check_target(endpoint.url)
    data = {"endpoint_id": str(endpoint.pk), "message": "Catalytic can reach this endpoint."}
    with transaction.atomic():
        return store_event(endpoint.tenant, PING, data, [endpoint])


def _audit(action: str, endpoint: WebhookEndpoint, actor: Any, request: Any, **fields: Any) -> None:
    audit.record(
        action,
        tenant=endpoint.tenant_id,
        actor=actor,
        request=request,
        target=f"webhook:{endpoint.pk}",
        **fields,
    )
