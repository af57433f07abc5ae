"""GET /metrics: django-prometheus's export plus gauges measured at scrape time.

Counters and histograms are recorded where things happen (catalytic/metrics.py) and
added up across gunicorn workers from PROMETHEUS_MULTIPROC_DIR. Some facts an alert
needs are not events but the state of the world now: is the database answering, is
Redis, how long has the oldest due email waited. A value set by whichever process last
looked goes stale when that process stops looking (an email worker that died keeps
showing its last outbox depth), so these are measured by the process serving the
scrape, each time Prometheus asks. Apps add theirs with `register_live_collector`.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse
from django_prometheus import exports
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from catalytic.health import health_report

_live_collectors: list[Collector] = []


def register_live_collector(collector: Collector) -> None:
    """Measure `collector` on every scrape of /metrics (call once, from AppConfig.ready)."""
    if collector not in _live_collectors:
        _live_collectors.append(collector)


class DependencyCollector(Collector):
    """`catalytic_dependency_up{dependency}`: 1 when /health's probe of it answers."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        # The same probes as /health, with their deadlines: a hung database makes the
        # scrape report 0 within about 2 seconds instead of timing the scrape out.
        _state, report = health_report(sections=False)
        family = GaugeMetricFamily(
            "catalytic_dependency_up",
            "1 when this app process reaches the dependency (the probes of /health), else 0.",
            labels=["dependency"],
        )
        family.add_metric(["database"], 1.0 if report["database"]["connected"] else 0.0)
        if report["redis"].get("configured", True):
            family.add_metric(["redis"], 1.0 if report["redis"]["connected"] else 0.0)
        yield family


register_live_collector(DependencyCollector())


def metrics(request: HttpRequest) -> HttpResponse:
    response = exports.ExportToDjangoView(request)
    registry = CollectorRegistry(auto_describe=False)
    for collector in _live_collectors:
        registry.register(collector)
    response.content = response.content + generate_latest(registry)
    return response
