"""Anymail's tracking webhooks, authenticated first and never open.

SECURITY: anymail only *warns* when ANYMAIL["WEBHOOK_SECRET"] is unset and then
accepts anyone's events, which would let a stranger mark messages bounced and
suppress addresses. These views refuse instead, and check the credentials before
anything reads the body.
"""

from __future__ import annotations

from typing import Any

from anymail.exceptions import AnymailAPIError, AnymailWebhookValidationFailure
from anymail.utils import get_request_basic_auth
from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView
from anymail.webhooks.sendgrid import SendGridTrackingWebhookView
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.crypto import constant_time_compare


class MalformedPayload(Exception):
    pass


class AuthenticatedWebhook:
    """Mixin for anymail webhook views; listed first so its validator runs first."""

    basic_auth: list[str]

    def validate_request(self, request: HttpRequest) -> None:
        # SendGrid's signed webhooks are an acceptable alternative to basic auth.
        signed = getattr(self, "webhook_verification_key", None) is not None
        if not self.basic_auth and not signed:
            raise AnymailWebhookValidationFailure("Webhook authentication is not configured")
        if self.basic_auth:
            supplied = get_request_basic_auth(request) or ""
            if not any(constant_time_compare(supplied, allowed) for allowed in self.basic_auth):
                raise AnymailWebhookValidationFailure("Missing or invalid webhook credentials")

    def parse_events(self, request: HttpRequest) -> list[Any]:
        try:
            return super().parse_events(request)  # type: ignore[misc]
        except (AnymailAPIError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise MalformedPayload(str(exc)) from exc

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().post(request, *args, **kwargs)  # type: ignore[misc]
        except (MalformedPayload, AnymailAPIError):
            # Bad input is a 400; only our own failures may be a 5xx (which providers retry).
            return HttpResponseBadRequest("Malformed webhook payload")


class SendGridTracking(AuthenticatedWebhook, SendGridTrackingWebhookView):
    pass


class AmazonSESTracking(AuthenticatedWebhook, AmazonSESTrackingWebhookView):
    pass
