"""GET /ping: the benchmark's bare endpoint and a liveness probe that touches nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve

from catalytic.ping import ping

pytestmark = pytest.mark.urls("tests.perf.urls_with_ping")


def test_it_answers_pong_as_plain_text(client):
    response = client.get("/ping")

    assert response.status_code == 200
    assert response.content == b"pong"
    assert response["Content-Type"] == "text/plain; charset=utf-8"


def test_it_is_never_cached(client):
    response = client.get("/ping")

    assert "no-cache" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


def test_it_answers_head_for_load_balancers(client):
    assert client.head("/ping").status_code == 200


def test_it_refuses_writes(client):
    response = client.post("/ping")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.django_db
def test_it_makes_no_database_query(client):
    client.get("/ping")  # the first request of a process may load lazily-built state
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/ping")

    assert response.status_code == 200
    assert len(queries) == 0


def test_it_needs_no_authentication_or_session(client):
    response = client.get("/ping", HTTP_AUTHORIZATION="Bearer not-a-token")

    assert response.status_code == 200
    assert "Set-Cookie" not in response


@pytest.mark.urls("catalytic.urls")
def test_the_project_routes_ping_to_this_view():
    try:
        match = resolve("/ping")
    except Resolver404:
        pytest.fail('catalytic/urls.py must route "ping" to catalytic.ping.ping')
    assert match.func is ping
