"""Process-wide request guards that must run before any view reads the body."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter

from catalytic.api_errors import error_response
from catalytic.client_ip import is_trusted_proxy
from catalytic.log_filters import (
    EXPECTED_REFUSAL_ATTRIBUTE,
    EXPECTED_REFUSAL_CODES,
    SHED_ATTRIBUTE,
)

REQUESTS_SHED = Counter(
    "catalytic_requests_shed_total",
    "Requests refused with 503 because they waited in the queue longer than QUEUE_TIMEOUT_MS.",
)


class BodySizeLimitMiddleware:
    """Refuse bodies over DATA_UPLOAD_MAX_MEMORY_SIZE with a JSON 413.

    SECURITY: DRF's JSON parser reads `request.body` whole and Django only applies
    DATA_UPLOAD_MAX_MEMORY_SIZE to form parsing, so without this a client could
    make a worker buffer and parse an arbitrarily large JSON document.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return error_response("invalid_content_length", "Content-Length is not a number.", 400)
        if limit is not None and length > limit:
            return error_response(
                "payload_too_large",
                f"The request body is {length} bytes; at most {limit} are accepted.",
                413,
            )
        return self.get_response(request)


# Probes and the metrics scrape are answered even under overload: a load balancer that
# sees /health shed would take the instance out and move its load to the others.
SHED_EXEMPT_PATHS = frozenset({"/health", "/ping", "/metrics"})


def queue_start(value: str) -> float | None:
    """X-Request-Start as a UNIX time in seconds.

    Proxies write `t=<seconds>.<millis>` (nginx `t=${msec}`), or whole milliseconds or
    microseconds since the epoch (Heroku, New Relic's convention); the magnitude says
    which.
    """
    raw = value.strip().removeprefix("t=")
    try:
        stamp = float(raw)
    except ValueError:
        return None
    if stamp > 1e14:
        return stamp / 1e6
    if stamp > 1e11:
        return stamp / 1e3
    return stamp


class LoadSheddingMiddleware:
    """Refuse with a fast 503 + Retry-After a request that waited too long to be served.

    With sync workers a request that finds every worker busy waits in the kernel's
    listen queue. Serving it after the client has given up only pushes the next
    requests further back, so overload turns into timeouts for everyone. When the
    proxy in front stamps `X-Request-Start` (nginx: `proxy_set_header X-Request-Start
    "t=${msec}";`), a request that has already waited more than QUEUE_TIMEOUT_MS is
    answered at once with 503 and the queue drains. The header is believed only from
    TRUSTED_PROXIES, since a client could otherwise shed its own requests or dodge the
    check; without a proxy the small listen backlog (GUNICORN_BACKLOG) is what bounds
    the queue. Goes first in MIDDLEWARE (after django-prometheus's counter of incoming
    requests) so a shed request costs nothing else.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.budget = settings.QUEUE_TIMEOUT_MS / 1000

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.META.get("HTTP_X_REQUEST_START")
        if (
            header
            and self.budget > 0
            and request.path not in SHED_EXEMPT_PATHS
            and is_trusted_proxy(request.META.get("REMOTE_ADDR", ""))
        ):
            started = queue_start(header)
            if started is not None and time.time() - started > self.budget:
                REQUESTS_SHED.inc()
                response = error_response(
                    "overloaded",
                    "The service is busy; retry in a moment.",
                    503,
                )
                response["Retry-After"] = "1"
                # Sent before CommonMiddleware would add it: without it gunicorn frames
                # the body in chunks (more writes per refusal).
                response["Content-Length"] = str(len(response.content))
                # Counted by REQUESTS_SHED, not logged one by one (settings.LOGGING).
                setattr(request, SHED_ATTRIBUTE, True)
                return response
        return self.get_response(request)


class ExpectedRefusalMiddleware:
    """Marks a request answered with a 5xx whose API error code is an expected refusal
    (catalytic.log_filters), so django.request logs it at WARNING."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 500:
            data = getattr(response, "data", None)  # a DRF Response's body
            error = data.get("error") if isinstance(data, dict) else None
            if isinstance(error, dict) and error.get("code") in EXPECTED_REFUSAL_CODES:
                setattr(request, EXPECTED_REFUSAL_ATTRIBUTE, True)
        return response
