"""POST /api/stripe/webhooks: verify, store through dj-stripe, run our handlers.

The signature is checked before anything is stored, so forged or replayed
requests leave no row behind. An event of a type no handler acts on is acknowledged at
once (Stripe's API is not asked for it). Any other verified event is recorded as a dj-stripe
WebhookEventTrigger (visible, and re-processable, in the admin) and processed by
dj-stripe, whose signals run `billing.handlers`. A failure answers 500 so Stripe
retries; the rolled-back event is then processed again from scratch.
"""

from __future__ import annotations

import json
import logging
import time
from traceback import format_exc

import stripe
from django.conf import settings
from django.db import DatabaseError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from djstripe.models import Event, WebhookEventTrigger

from billing.handlers import HANDLERS
from billing.stripe_client import stripe_client, webhooks_missing
from catalytic.api_errors import error_response
from catalytic.log_filters import EXPECTED_REFUSAL_ATTRIBUTE
from catalytic.metrics import WEBHOOK_EVENTS

logger = logging.getLogger(__name__)

# Headers worth keeping on the stored trigger; cookies and the like are not.
KEPT_HEADERS = ("Content-Type", "Stripe-Signature", "User-Agent")


def verify_signature(payload: str, header: str) -> None:
    """Raise SignatureVerificationError unless one of the endpoint secrets signed `payload`.

    STRIPE_WEBHOOK_SECRET may list several secrets, comma-separated, so a rolled
    secret keeps working until Stripe stops signing with it.
    """
    # SECURITY: HMAC-SHA256 over "<timestamp>.<body>" with the endpoint secret, and a
    # timestamp within the tolerance: a captured delivery cannot be replayed later.
    secrets = [part.strip() for part in settings.STRIPE_WEBHOOK_SECRET.split(",") if part.strip()]
    failure: stripe.SignatureVerificationError | None = None
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(
                payload, header, secret, settings.STRIPE_WEBHOOK_TOLERANCE
            )
        except stripe.SignatureVerificationError as exc:
            failure = exc
        else:
            refuse_future_timestamp(header)
            return
    raise failure or stripe.SignatureVerificationError("no webhook secret", header)


def refuse_future_timestamp(header: str) -> None:
    """Refuse a signature dated later than the tolerance allows.

    Stripe's library refuses only old timestamps. A future one means a wrong clock, or
    a signature made ahead of time to be replayed for longer than the tolerance; either
    way it is refused like a stale one.
    """
    # SECURITY: the header has passed verify_header, so its t= value is the signed one.
    stamps = [item[2:] for item in header.split(",") if item.startswith("t=")]
    try:
        signed_at = int(stamps[0])
    except (IndexError, ValueError):
        raise stripe.SignatureVerificationError("no timestamp in the header", header) from None
    if signed_at > time.time() + settings.STRIPE_WEBHOOK_TOLERANCE:
        raise stripe.SignatureVerificationError(
            "timestamp beyond the tolerance in the future", header
        )


def _retry_later(event: dict, code: str, message: str, status: int) -> JsonResponse:
    """A 5xx, which Stripe retries; counted as a failed delivery of the event's type."""
    WEBHOOK_EVENTS.labels("stripe", str(event.get("type") or "unknown")[:64], "failed").inc()
    return error_response(code, message, status, details={"event": event.get("id")})


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    missing = webhooks_missing()
    if missing:
        names = ", ".join(missing)
        setattr(request, EXPECTED_REFUSAL_ATTRIBUTE, True)  # logged at WARNING
        return error_response(
            "billing_not_configured",
            f"Stripe webhooks are not configured on this server: set {names}.",
            503,
            details={"missing": names},
        )
    try:
        payload = request.body.decode("utf-8")
        verify_signature(payload, request.headers.get("Stripe-Signature", ""))
    except (UnicodeDecodeError, stripe.SignatureVerificationError) as exc:
        logger.warning("Stripe webhook refused: %s", exc)
        WEBHOOK_EVENTS.labels("stripe", "unknown", "invalid_signature").inc()
        return error_response("invalid_signature", "The Stripe-Signature header is not valid.", 400)
    try:
        data = json.loads(payload)
    except ValueError:
        WEBHOOK_EVENTS.labels("stripe", "unknown", "invalid").inc()
        return error_response("invalid_json", "The body is not JSON.", 400)
    if not isinstance(data, dict) or data.get("object") != "event" or not data.get("id"):
        WEBHOOK_EVENTS.labels("stripe", "unknown", "invalid").inc()
        return error_response("invalid_event", "The body is not a Stripe event.", 400)
    # Signed by Stripe, so the label set stays Stripe's own (bounded) list of types.
    event_type = str(data.get("type") or "unknown")[:64]

    if event_type not in HANDLERS:
        # Nothing here acts on it: stored as received (visible in the admin) without
        # asking Stripe for its object, so an outage of Stripe's API cannot turn it into
        # a retried 500. Storing it needs the database; without one Stripe retries.
        try:
            Event.sync_from_stripe_data(data, api_key=stripe_client().api_key)
        except DatabaseError:
            logger.warning(
                "Stripe event %s (%s) not stored: database unavailable", data.get("id"), event_type
            )
            return _retry_later(
                data, "service_unavailable", "The database is unavailable; Stripe will retry.", 503
            )
        WEBHOOK_EVENTS.labels("stripe", event_type, "ignored").inc()
        return JsonResponse({"received": True, "event": data.get("id"), "type": event_type})

    api_key = stripe_client().api_key
    trigger = WebhookEventTrigger.objects.create(
        remote_ip=request.META.get("REMOTE_ADDR") or "0.0.0.0",  # noqa: S104 - a value, not a bind
        headers={name: request.headers[name] for name in KEPT_HEADERS if name in request.headers},
        body=payload,
        valid=True,
    )
    try:
        with transaction.atomic():
            trigger.process(save=True, api_key=api_key)
    except Exception as exc:  # noqa: BLE001 - any failure must reach Stripe as a retryable 5xx
        if isinstance(exc, stripe.StripeError):
            # Stripe's API is down or refusing: an outage, not a fault of ours to trace.
            logger.warning(
                "Stripe event %s (%s) not processed, Stripe's API failed: %s; Stripe will retry",
                data.get("id"),
                event_type,
                exc,
            )
        else:
            logger.exception("Stripe event %s (%s) failed", data.get("id"), event_type)
        trigger.exception = str(exc)[: WebhookEventTrigger._meta.get_field("exception").max_length]
        trigger.traceback = format_exc()
        trigger.save(update_fields=["exception", "traceback", "updated"])
        return _retry_later(
            data, "webhook_failed", "The event could not be processed; Stripe will retry it.", 500
        )
    WEBHOOK_EVENTS.labels("stripe", event_type, "processed").inc()
    return JsonResponse({"received": True, "event": data.get("id"), "type": data.get("type")})
