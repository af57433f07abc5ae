"""Every page and API response carries the site's Content-Security-Policy; a view can
still widen or drop it with django-csp's decorators, and a nonce a template used is in
the header."""

from __future__ import annotations

import pytest
from csp.constants import NONCE, SELF
from csp.decorators import csp_exempt, csp_update
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

HEADER = "Content-Security-Policy"


@csp_update({"img-src": ["https://cdn.example"]})
def widened(request: HttpRequest) -> HttpResponse:
    return HttpResponse("widened")


@csp_exempt()
def exempt(request: HttpRequest) -> HttpResponse:
    return HttpResponse("exempt")


def with_nonce(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")


urlpatterns = [
    path("csp/widened/", widened),
    path("csp/exempt/", exempt),
    path("csp/nonce/", with_nonce),
    path("", include("catalytic.urls")),
]


@pytest.mark.django_db
def test_pages_and_the_api_get_the_same_policy():
    client = Client()
    page = client.get("/login/")
    api = client.get("/api/plans")

    assert page.status_code == api.status_code == 200
    assert page[HEADER] == api[HEADER]
    assert "default-src 'self'" in page[HEADER]
    assert "frame-ancestors 'none'" in page[HEADER]


@pytest.mark.django_db
def test_a_changed_setting_changes_the_header(settings):
    policy = {**settings.CONTENT_SECURITY_POLICY}
    policy["DIRECTIVES"] = {**policy["DIRECTIVES"], "img-src": [SELF, "https://img.example"]}
    settings.CONTENT_SECURITY_POLICY = policy

    assert "img-src 'self' https://img.example" in Client().get("/api/plans")[HEADER]


@pytest.mark.urls(__name__)
def test_a_view_can_widen_the_policy():
    header = Client().get("/csp/widened/")[HEADER]

    assert "https://cdn.example" in header
    assert "default-src 'self'" in header


@pytest.mark.urls(__name__)
def test_an_exempt_view_gets_no_policy():
    assert HEADER not in Client().get("/csp/exempt/")


@pytest.mark.urls(__name__)
def test_a_nonce_the_response_used_is_in_the_header(settings):
    policy = {**settings.CONTENT_SECURITY_POLICY}
    policy["DIRECTIVES"] = {**policy["DIRECTIVES"], "script-src": [SELF, NONCE]}
    settings.CONTENT_SECURITY_POLICY = policy

    response = Client().get("/csp/nonce/")
    nonce = response.content.decode().split("nonce='")[1].split("'")[0]

    assert f"'nonce-{nonce}'" in response[HEADER]
    assert "nonce-" not in Client().get("/csp/widened/")[HEADER]
