import time
from datetime import UTC, datetime
from unittest import mock

import pytest

from catalytic import health


@pytest.mark.django_db
def test_it_reports_healthy_with_the_database_vendor(client, settings):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["database"]["connected"] is True
    assert body["database"]["vendor"] in {"sqlite", "postgresql"}
    stamp = datetime.fromisoformat(body["timestamp"])
    assert body["timestamp"].endswith("Z")
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 60
    if settings.REDIS_URL:
        assert body["redis"]["connected"] is True
        assert body["redis"]["commands_processed"] > 0
    else:
        assert body["redis"] == {"configured": False}


@pytest.mark.django_db
def test_it_is_unhealthy_when_the_database_is_down(client):
    def refuse():
        raise ConnectionRefusedError("database down")

    with mock.patch.object(health, "_probe_database", refuse):
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "unhealthy"
    assert response.json()["database"]["connected"] is False


@pytest.mark.django_db
def test_it_is_degraded_with_503_when_a_configured_redis_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    def refuse():
        raise ConnectionRefusedError("redis down")

    with mock.patch.object(health, "_probe_redis", refuse):
        response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["redis"]["connected"] is False


@pytest.mark.django_db
def test_it_answers_quickly_when_a_dependency_hangs(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    def hang():
        time.sleep(5)

    with mock.patch.object(health, "_probe_redis", hang):
        started = time.monotonic()
        response = client.get("/health")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["redis"]["error"] == "timeout"
    assert elapsed < 3


def test_it_reaches_a_real_redis_when_configured(settings):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: the embedded default has no Redis")
    assert health._probe_redis()["connected"] is True


def connections_opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the threads that opened a database connection from now on."""
    import threading

    from django.db.backends.base.base import BaseDatabaseWrapper

    opened: list[str] = []
    original = BaseDatabaseWrapper.connect

    def counting(self: BaseDatabaseWrapper) -> None:
        opened.append(threading.current_thread().name)
        original(self)

    monkeypatch.setattr(BaseDatabaseWrapper, "connect", counting)
    return opened


@pytest.mark.django_db
def test_probes_reuse_one_connection_where_connections_persist(client, monkeypatch):
    from django.db import connection

    if not connection.settings_dict["CONN_MAX_AGE"]:
        pytest.skip(
            "the embedded default (SQLite) keeps no connections; set "
            "DATABASE_URL=postgresql://... to run it"
        )
    health.close_database_probe()
    opened = connections_opened(monkeypatch)

    statuses = [client.get("/health").status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    probe_connections = [name for name in opened if name.startswith("health-db")]
    assert len(probe_connections) == 1


@pytest.mark.django_db
def test_a_kept_connection_that_died_is_replaced_without_reporting_an_outage(client):
    from django.db import connection, connections

    if not connection.settings_dict["CONN_MAX_AGE"]:
        pytest.skip(
            "no kept connection with the embedded default (SQLite); set "
            "DATABASE_URL=postgresql://... to run it"
        )
    assert client.get("/health").status_code == 200

    # The kept connection is lost; Django still thinks it is open.
    health._database_thread.submit(lambda: connections["default"].connection.close()).result()

    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["database"]["connected"] is True
