"""Background jobs' settings, read from the environment once (beside settings.py).

The job queue is Celery (docs/deploy.md §jobs says why). Its broker is CELERY_BROKER_URL,
else REDIS_URL, else (the embedded default, no Redis) kombu's `filesystem://` transport
in `var/celery/`, which `scripts/dev.py serve` shares with the worker it starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from catalytic.env import env_float, env_int, env_str, redis_url_from_env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CATALYTIC_VAR_DIR", str(BASE_DIR / "var")))

# A job's path search stops after this long (a request's stops after LATTICE_SEARCH_SECONDS).
JOB_SEARCH_SECONDS = env_float("JOB_SEARCH_SECONDS", 60.0, minimum=0.05)
# A running job whose claim is older than this was left by a worker that died: the next
# delivery of its message runs it again. It must exceed the longest job.
JOB_STALE_SECONDS = JOB_SEARCH_SECONDS + env_float("JOB_STALE_MARGIN_SECONDS", 60.0, minimum=1)
# Redis hands an unacknowledged message (its worker died) to another worker this long
# after the job's claim went stale.
JOB_REDELIVERY_SECONDS = JOB_STALE_SECONDS + env_float(
    "JOB_REDELIVERY_MARGIN_SECONDS", 60.0, minimum=1
)
# Finished jobs (and their results) are deleted this long after they end (prune_jobs).
JOB_RETENTION_DAYS = env_int("JOB_RETENTION_DAYS", 7, minimum=1)
JOB_QUEUE = "jobs"


def broker_url() -> str:
    return env_str("CELERY_BROKER_URL", "") or redis_url_from_env() or "filesystem://"


def filesystem_broker_folder() -> Path:
    return Path(env_str("CELERY_FILESYSTEM_FOLDER", str(VAR_DIR / "celery")))


def celery_config() -> dict[str, Any]:
    """Celery's settings (its lowercase names), applied by catalytic/celery.py."""
    url = broker_url()
    if url.startswith("filesystem://"):
        folder = filesystem_broker_folder()
        folder.mkdir(parents=True, exist_ok=True)
        transport_options: dict[str, Any] = {
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
        }
    else:
        # Redis hands an unacknowledged message to another worker after this long: it
        # must outlast the longest job, or a job still running would be delivered twice
        # (the claim would keep it from running twice, but the retry would wait).
        transport_options = {"visibility_timeout": int(JOB_REDELIVERY_SECONDS)}
    return {
        "broker_url": url,
        "broker_transport_options": transport_options,
        "broker_connection_retry_on_startup": True,
        # A message is acknowledged when its job ends, not when a worker takes it, and a
        # worker process that dies gives it back: a killed worker's job runs elsewhere.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # The job row in the database holds the outcome; Celery keeps no results.
        "task_ignore_result": True,
        "task_default_queue": JOB_QUEUE,
        "task_serializer": "json",
        "accept_content": ["json"],
        "worker_hijack_root_logger": False,
        "timezone": "UTC",
    }
