"""System checks: a provider chain that cannot be built, or webhooks that would refuse all."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ImproperlyConfigured

from notifications.providers import provider_chain


@register("notifications")
def check_email_configuration(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    try:
        provider_chain()
    except ImproperlyConfigured as exc:
        problems.append(Error(f"Email provider chain: {exc}", id="notifications.E001"))
    uses_webhooks = bool(settings.SENDGRID_API_KEY or settings.AWS_ACCESS_KEY_ID)
    if uses_webhooks and not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        problems.append(
            Warning(
                "ANYMAIL_WEBHOOK_SECRET is not set: the delivery tracking webhooks refuse every "
                "request, so bounces and complaints are not recorded.",
                hint='Set ANYMAIL_WEBHOOK_SECRET="user:password" and use it in the webhook URL.',
                id="notifications.W001",
            )
        )
    return problems
