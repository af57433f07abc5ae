"""The API never reads or writes a session: a page's login cookie is not an API
credential, and API answers set no cookie."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in_browser() -> Client:
    browser = Client()
    page = browser.post("/login/", {"email": "owner@acme.example", "password": PASSWORD})
    assert page.status_code == 302
    assert "sessionid" in browser.cookies
    return browser


def test_a_page_session_does_not_authenticate_the_api(cast):
    browser = signed_in_browser()

    response = browser.get("/api/lattices")

    assert response.status_code == 401
    assert not response.cookies  # nothing refreshed, nothing set
    assert browser.get("/dashboard/").status_code == 200  # the page session still works


def test_an_api_answer_sets_no_cookie(cast, client_for):
    response = client_for(cast.owner).get("/api/lattices")

    assert response.status_code == 200
    assert not response.cookies
