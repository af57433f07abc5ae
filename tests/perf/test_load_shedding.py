"""Overload is answered with a fast 503, and the server settings keep queues short."""

from __future__ import annotations

import runpy
import time
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.utils.log import log_response

from catalytic.client_ip import is_trusted_proxy
from catalytic.middleware import queue_start

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    settings.QUEUE_TIMEOUT_MS = 500


def stamped(seconds_ago: float, style: str = "nginx") -> str:
    started = time.time() - seconds_ago
    if style == "nginx":
        return f"t={started:.3f}"
    if style == "millis":
        return f"t={int(started * 1000)}"
    return str(int(started * 1_000_000))


@pytest.mark.parametrize("style", ["nginx", "millis", "micros"])
def test_it_reads_the_proxys_queue_start_in_every_usual_unit(style):
    assert abs(queue_start(stamped(2.0, style)) - (time.time() - 2.0)) < 0.01


def test_it_ignores_a_queue_start_it_cannot_read():
    assert queue_start("t=yesterday") is None


def test_a_request_that_queued_too_long_is_refused_with_503_and_retry_after(
    behind_proxy, client, cast, client_for, caplog
):
    caplog.set_level("WARNING", logger="django.request")
    response = client_for(cast.member).get(
        "/api/lattices", HTTP_X_REQUEST_START=stamped(2.0), REMOTE_ADDR="127.0.0.1"
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json()["error"]["code"] == "overloaded"
    # A whole body with its length, not chunks, and no warning line per refusal.
    assert int(response["Content-Length"]) == len(response.content)
    assert caplog.records == []


def test_other_503s_are_still_logged(caplog, rf):
    caplog.set_level("WARNING", logger="django.request")
    unavailable = HttpResponse(status=503)

    log_response(
        "%s: %s",
        "Service Unavailable",
        "/api/lattices",
        response=unavailable,
        request=rf.get("/api/lattices"),
    )

    assert [record.status_code for record in caplog.records] == [503]


@pytest.mark.parametrize(
    ("remote_addr", "trusted"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("[::1]:443", False),
        ("203.0.113.9", False),
        ("", False),
    ],
)
def test_only_the_configured_proxies_are_trusted(settings, remote_addr, trusted):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]

    assert is_trusted_proxy(remote_addr) is trusted


def test_a_request_served_in_time_goes_through(behind_proxy, cast, client_for):
    response = client_for(cast.member).get(
        "/api/lattices", HTTP_X_REQUEST_START=stamped(0.05), REMOTE_ADDR="127.0.0.1"
    )

    assert response.status_code == 200


def test_a_client_cannot_shed_requests_by_sending_the_header_itself(settings, cast, client_for):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    settings.QUEUE_TIMEOUT_MS = 500

    response = client_for(cast.member).get(
        "/api/lattices", HTTP_X_REQUEST_START=stamped(60), REMOTE_ADDR="203.0.113.9"
    )

    assert response.status_code == 200


def test_probes_are_never_shed(behind_proxy, client):
    old = stamped(60)
    assert client.get("/ping", HTTP_X_REQUEST_START=old, REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/health", HTTP_X_REQUEST_START=old).status_code != 503


def test_shedding_can_be_switched_off(settings, cast, client_for):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    settings.QUEUE_TIMEOUT_MS = 0

    response = client_for(cast.member).get(
        "/api/lattices", HTTP_X_REQUEST_START=stamped(60), REMOTE_ADDR="127.0.0.1"
    )

    assert response.status_code == 200


def load_gunicorn_conf(monkeypatch, **env: str) -> dict:
    for name in ("GUNICORN_ACCESS_LOG", "GUNICORN_BACKLOG", "GUNICORN_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/tmp/catalytic-test-metrics")
    return runpy.run_path(str(REPO / "gunicorn.conf.py"))


def test_gunicorn_keeps_a_short_listen_queue_and_no_access_log_by_default(monkeypatch):
    conf = load_gunicorn_conf(monkeypatch)

    assert conf["backlog"] == 64
    assert conf["accesslog"] is None
    assert conf["worker_class"] == "sync"


def test_gunicorns_access_log_and_backlog_can_be_turned_back_on(monkeypatch):
    conf = load_gunicorn_conf(monkeypatch, GUNICORN_ACCESS_LOG="-", GUNICORN_BACKLOG="2048")

    assert conf["accesslog"] == "-"
    assert conf["backlog"] == 2048
