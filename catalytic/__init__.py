# Celery's shared tasks bind to this app wherever Django is loaded (Celery's Django guide).
from catalytic.celery import app as celery_app

__all__ = ["celery_app"]
