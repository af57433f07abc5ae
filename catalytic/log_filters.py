"""Logging filters named in settings.LOGGING (loaded before the apps: keep imports light)."""

from __future__ import annotations

import logging

# Set on a request that LoadSheddingMiddleware refused for overload.
SHED_ATTRIBUTE = "catalytic_shed"


class SkipShedRequests(logging.Filter):
    """Drop django.request's line for each request refused for overload.

    catalytic_requests_shed_total counts those refusals; a log line apiece would be
    written exactly when the machine is busiest. Every other 5xx is still logged.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        return not getattr(request, SHED_ATTRIBUTE, False)


# Set on a request answered with a 5xx that is a deliberate refusal, not a fault.
EXPECTED_REFUSAL_ATTRIBUTE = "catalytic_expected_refusal"
# API error codes answered with a 5xx by design: a setting the operator chose (Stripe not
# configured), said in the answer, nothing to page anyone about.
EXPECTED_REFUSAL_CODES = frozenset({"billing_not_configured"})


class ExpectedRefusalsAsWarnings(logging.Filter):
    """Log django.request's line for an expected refusal at WARNING, not ERROR."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if getattr(request, EXPECTED_REFUSAL_ATTRIBUTE, False) and record.levelno > logging.WARNING:
            record.levelno = logging.WARNING
            record.levelname = logging.getLevelName(logging.WARNING)
        return True
