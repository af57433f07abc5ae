"""The one door to Stripe: `stripe_client()`.

Every Stripe call of the app goes through the module this returns, configured
from settings (key, API base, retries, timeouts). dj-stripe calls the same
module's classes with the same module-level configuration, so its webhook
re-fetches follow the same settings, and tests point everything at a fake
Stripe by setting STRIPE_API_BASE alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

import stripe
from django.conf import settings

from catalytic.errors import ServiceError

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_applied: tuple | None = None

RETRY_AFTER_SECONDS = 30


class BillingNotConfigured(ServiceError):
    def __init__(self, what: str = "STRIPE_SECRET_KEY") -> None:
        super().__init__(
            "Billing is not configured on this server; the Free plan is available.",
            code="billing_not_configured",
            status=503,
            details={"missing": what},
        )


def billing_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def webhooks_missing() -> list[str]:
    """The settings webhooks still lack: events are verified with the webhook secret and
    re-read from Stripe with the secret key."""
    return [
        name
        for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")
        if not getattr(settings, name)
    ]


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


class BillingUnavailable(ServiceError):
    def __init__(self) -> None:
        super().__init__(
            "Billing is unavailable: the payment provider cannot be reached. "
            "Nothing was charged or changed; retry in a minute.",
            code="billing_unavailable",
            status=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


def api_error_for(exc: stripe.StripeError) -> ServiceError:
    """Stripe's exception as our JSON error: the caller's fault is 4xx, Stripe's is 503."""
    if isinstance(exc, stripe.CardError):
        return ServiceError(
            exc.user_message or "The card was declined.",
            code="card_declined",
            status=402,
            details={"decline_code": exc.code},
        )
    if isinstance(exc, stripe.IdempotencyError):
        return ServiceError(
            "Another billing change for this account is in progress; retry shortly.",
            code="conflict",
            status=409,
        )
    if isinstance(exc, stripe.InvalidRequestError):
        return ServiceError(
            exc.user_message or "Stripe refused the request.",
            code="stripe_invalid_request",
            status=400,
            details={"param": exc.param} if exc.param else None,
        )
    # Anything else means Stripe cannot serve us right now (down, overloaded, or refusing
    # our key): nothing the caller can fix, so one 503 that invites a retry, and a log
    # line for the operator.
    logger.error(
        "Stripe unavailable: %s (HTTP %s, Stripe request id %s): %s",
        type(exc).__name__,
        exc.http_status,
        exc.request_id or "none",
        exc.user_message or exc,
    )
    return BillingUnavailable()


@contextmanager
def stripe_errors() -> Iterator[None]:
    """Around every use of `stripe_client()`: Stripe's exceptions leave as `ServiceError`s.

    Usable as a decorator too. The API answers them through the project's exception
    handler, the pages show their message, and commands print it.
    """
    try:
        yield
    except stripe.StripeError as exc:
        raise api_error_for(exc) from exc
