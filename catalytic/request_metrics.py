"""Per-request Prometheus metrics: latency by route, responses by status.

django-prometheus's Before/After middleware pair writes about fifteen samples per
request (requests by method, by transport, by view; body-size histograms; responses by
status, by charset; two latency histograms). Under gunicorn every sample is a write to
a shared memory-mapped file, and the pair cost ~0.1 ms of a ~2 ms API call
(docs/performance.md). This one middleware keeps the two series an operator alerts on,
under django-prometheus's own names so its dashboards keep working:

- `django_http_requests_latency_seconds_by_view_method` (histogram; view = route name),
  measured around everything after LoadSheddingMiddleware, i.e. what the client waits
  once a worker picked the request up;
- `django_http_responses_total_by_status_view_method` (counter).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django_prometheus.middleware import Metrics

UNNAMED = "<unnamed view>"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        metrics = Metrics.get_instance()
        self.latency = metrics.requests_latency_by_view_method
        self.responses = metrics.responses_by_status_view_method

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)  # inner middleware turn exceptions into 500s
        match = getattr(request, "resolver_match", None)
        view = (match.view_name if match is not None else None) or UNNAMED
        # Bounded label values: a client cannot invent methods or views.
        method = request.method if request.method in METHODS else "<invalid method>"
        self.responses.labels(str(response.status_code), view, method).inc()
        self.latency.labels(view, method).observe(time.perf_counter() - started)
        return response
