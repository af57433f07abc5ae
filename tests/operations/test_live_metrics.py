"""Gauges measured at each scrape of /metrics: dependencies up, oldest due email."""

from __future__ import annotations

import socket
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def samples(client: Any, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
        if sample.name == name
    }


def dependency(client: Any) -> dict[str, float]:
    return {
        dict(labels)["dependency"]: value
        for labels, value in samples(client, "catalytic_dependency_up").items()
    }


def test_the_database_and_a_configured_redis_read_as_up(client: Any) -> None:
    up = dependency(client)
    assert up["database"] == 1.0
    if settings.REDIS_URL:
        assert up["redis"] == 1.0
    else:
        assert "redis" not in up  # nothing to be down: the cache is in process memory


def test_a_redis_that_does_not_answer_reads_as_down(client: Any, settings: Any) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"redis://127.0.0.1:{port}/0"
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    up = dependency(client)
    assert up == {"database": 1.0, "redis": 0.0}


def outbox_message(due: timedelta, status: str = "queued") -> OutboxMessage:
    return OutboxMessage.objects.create(
        kind="welcome",
        to_email="member@acme.example",
        subject="Welcome aboard",
        text_body="t",
        status=status,
        next_attempt_at=timezone.now() - due,
    )


def oldest_due(client: Any) -> float:
    return samples(client, "catalytic_email_outbox_oldest_due_seconds")[()]


def test_the_oldest_due_email_shows_how_long_it_has_waited(client: Any) -> None:
    assert oldest_due(client) == 0.0
    # Sent, failed, and retrying later (backoff) are not waiting on a worker.
    outbox_message(timedelta(hours=2), status="sent")
    outbox_message(timedelta(hours=2), status="failed")
    outbox_message(-timedelta(minutes=10))
    assert oldest_due(client) == 0.0

    outbox_message(timedelta(minutes=20))
    outbox_message(timedelta(minutes=5))
    # A claim whose lease lapsed (its worker died) is due again.
    outbox_message(timedelta(minutes=30), status="sending")
    assert 30 * 60 <= oldest_due(client) < 31 * 60
