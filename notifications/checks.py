"""System checks: a provider chain that cannot be built, webhooks that would refuse all, and
(with --deploy) production email that would be printed instead of delivered."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ImproperlyConfigured

from notifications.providers import PROVIDER_SETTINGS, provider_chain


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


@register("notifications", deploy=True)
def check_production_email_is_delivered(
    app_configs: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    try:
        chain = provider_chain()
    except ImproperlyConfigured:
        return []  # notifications.E001 names the problem
    if any(provider.delivers for provider in chain):
        return []
    names = ", ".join(PROVIDER_SETTINGS)
    return [
        Error(
            f"No email provider is configured (none of {names} is set): with DEBUG off, "
            f"every email (password resets, invitations, payment notices) would go "
            f"to the {chain[0].name} backend and never be delivered.",
            hint="Set SENDGRID_API_KEY, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            "(Amazon SES), or SMTP_URL (smtp://user:password@host:587?starttls=1).",
            id="notifications.E002",
        )
    ]
