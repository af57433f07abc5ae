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
