"""The Celery application: `celery -A catalytic worker` runs background jobs.

Tasks are found in each app's `tasks.py`; the configuration is catalytic/jobs_config.py.
"""

from __future__ import annotations

import os

from celery import Celery

from catalytic.env import prepare_metrics_dir
from catalytic.jobs_config import celery_config

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalytic.settings")
prepare_metrics_dir()

app = Celery("catalytic")
app.conf.update(celery_config())
app.autodiscover_tasks()
