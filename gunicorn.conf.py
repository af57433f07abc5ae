"""gunicorn settings, from the environment (see docs/deploy.md)."""

import multiprocessing
import os
import re
import shutil
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Sync workers measured best for this CPU-bound app, directly and behind nginx (gthread
# tied on throughput with a worse p99, and cost more CPU per API request even with
# nginx's keep-alive; docs/deploy.md, section 5); one per core plus one keeps both cores
# busy while a worker waits on I/O.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync" if threads == 1 else "gthread")
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# A short listen queue: under overload, connections beyond it are refused at once
# instead of waiting 30 s for a busy worker (docs/performance.md, "Load test"). With a
# proxy stamping X-Request-Start, LoadSheddingMiddleware also answers 503 to requests
# that queued longer than QUEUE_TIMEOUT_MS.
backlog = int(os.environ.get("GUNICORN_BACKLOG", "64"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "0"))
# Off unless asked for (GUNICORN_ACCESS_LOG=- for stdout): the proxy in front logs every
# request already, and formatting the line cost ~10 % of a cheap request's worker time.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Two instances on one host (say a blue and a green deploy) must share neither their
# metrics nor their control socket, so both default to names taken from the bind address.
_instance = re.sub(r"[^\w.-]+", "-", bind).strip("-")
# /metrics must add up every worker's counters: prometheus_client's multiprocess
# mode keeps them in files under this directory, wiped at each start.
_metrics_dir = Path(
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", f"/tmp/catalytic-metrics-{_instance}")
)
# gunicornc's socket; gunicorn's default is one path per user, whichever instance binds it.
_runtime_dir = os.environ.get("XDG_RUNTIME_DIR", "")
if not os.path.isdir(_runtime_dir):
    _runtime_dir = os.path.join(os.path.expanduser("~"), ".gunicorn")
control_socket = os.environ.get(
    "GUNICORN_CONTROL_SOCKET", os.path.join(_runtime_dir, f"catalytic-{_instance}.ctl")
)


def on_starting(server):  # noqa: ANN001, ARG001 - gunicorn hook signature
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    _metrics_dir.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):  # noqa: ANN001, ARG001 - gunicorn hook signature
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
