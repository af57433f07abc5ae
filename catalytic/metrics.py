"""Business metrics for /metrics, beside django-prometheus's request metrics.

django-prometheus already exports request latency by view and method
(`django_http_requests_latency_seconds_by_view_method`). These add what an
operator needs to see product and abuse behaviour. Under gunicorn they are
aggregated across workers through PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LATTICE_OPERATION_SECONDS = Histogram(
    "catalytic_lattice_operation_seconds",
    "Duration of lattice operations by type and outcome.",
    ["operation", "status"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
QUOTA_REJECTIONS = Counter(
    "catalytic_quota_rejections_total",
    "Requests refused because the tenant's plan quota or limit was reached.",
    ["limit"],
)
RATE_LIMIT_HITS = Counter(
    "catalytic_rate_limit_hits_total",
    "Requests refused by a rate limit.",
    ["group"],
)
LOGIN_FAILURES = Counter(
    "catalytic_login_failures_total",
    "Failed logins by reason.",
    ["reason"],
)
WEBHOOK_EVENTS = Counter(
    "catalytic_webhook_events_total",
    "Webhook events received, by source, type and result.",
    ["source", "event_type", "result"],
)
EMAIL_OUTBOX_DEPTH = Gauge(
    "catalytic_email_outbox_depth",
    "Email messages by outbox status, as last seen by a delivery worker.",
    ["status"],
    multiprocess_mode="livemax",
)
EMAILS_DELIVERED = Counter(
    "catalytic_emails_delivered_total",
    "Email delivery attempts by provider and result.",
    ["provider", "result"],
)
WEBHOOK_DELIVERIES = Counter(
    "catalytic_webhook_deliveries_total",
    "Outgoing webhook delivery attempts by result (delivered: a 2xx answer).",
    ["result"],
)
WEBHOOK_DELIVERY_DEPTH = Gauge(
    "catalytic_webhook_deliveries_depth",
    "Outgoing webhook deliveries by status, as last seen by a delivery worker.",
    ["status"],
    multiprocess_mode="livemax",
)
JOB_SECONDS = Histogram(
    "catalytic_job_seconds",
    "Duration of background jobs in a worker, by computation and outcome.",
    ["kind", "status"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
JOB_WAIT_SECONDS = Histogram(
    "catalytic_job_wait_seconds",
    "Seconds a background job waited in the queue before a worker started it.",
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
)
