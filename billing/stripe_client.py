"""The one door to Stripe: `stripe_client()`.

Every Stripe call of the app goes through the module this returns, configured
from settings (key, API base, retries, timeouts). dj-stripe calls the same
module's classes with the same module-level configuration, so its webhook
re-fetches follow the same settings, and tests point everything at a fake
Stripe by setting STRIPE_API_BASE alone.
"""

from __future__ import annotations

import threading
from types import ModuleType

import stripe
from django.conf import settings
from rest_framework import status

from catalytic.api_errors import ApiError

_lock = threading.Lock()
_applied: tuple | None = None


class BillingNotConfigured(ApiError):
    def __init__(self, what: str = "STRIPE_SECRET_KEY") -> None:
        super().__init__(
            "Billing is not configured on this server; the Free plan is available.",
            code="billing_not_configured",
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            details={"missing": what},
        )


def billing_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def webhooks_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)


def require_billing() -> None:
    """Raise the 503 that billing endpoints answer when Stripe keys are not set."""
    if not billing_configured():
        raise BillingNotConfigured()


def stripe_api_key() -> str:
    require_billing()
    return settings.STRIPE_SECRET_KEY


def stripe_client() -> ModuleType:
    """The `stripe` module, configured from settings (raises 503 without a key)."""
    wanted = (
        stripe_api_key(),
        settings.STRIPE_API_BASE or stripe.DEFAULT_API_BASE,
        settings.STRIPE_MAX_NETWORK_RETRIES,
        settings.STRIPE_CONNECT_TIMEOUT,
        settings.STRIPE_READ_TIMEOUT,
    )
    global _applied
    if _applied != wanted:
        with _lock:
            key, api_base, retries, connect_timeout, read_timeout = wanted
            stripe.api_key = key
            stripe.api_base = api_base
            stripe.max_network_retries = retries
            # A short connect timeout: a Stripe outage must fail requests, not hang workers.
            stripe.default_http_client = stripe.RequestsClient(
                timeout=(connect_timeout, read_timeout)
            )
            stripe.enable_telemetry = False
            _applied = wanted
    return stripe
