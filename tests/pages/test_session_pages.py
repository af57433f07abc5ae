"""The account's sessions page: the person's API sign-ins with an "End" button each,
this browser's own page session, and "End all API sign-ins"."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.tokens import AccessToken
from tests.conftest import access_token

pytestmark = pytest.mark.django_db


def api_sign_in(membership):
    """A new API sign-in: (its id, a client carrying its access token)."""
    token = access_token(membership)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return AccessToken(token)["family"], client


def test_the_page_lists_my_api_sign_ins_and_this_browser(cast, page_client):
    mine, _ = api_sign_in(cast.member)
    theirs, _ = api_sign_in(cast.owner)

    response = page_client(cast.member).get("/account/sessions/", HTTP_USER_AGENT="Firefox/1")

    html = response.content.decode()
    assert response.status_code == 200
    assert "This browser" in html and "Firefox/1" in html
    assert f"/account/sessions/{mine}/end/" in html
    assert f"/account/sessions/{theirs}/end/" not in html
    assert "Acme Lattices" in html


def test_the_account_page_links_to_it(cast, page_client):
    html = page_client(cast.viewer).get("/account/").content.decode()

    assert 'href="/account/sessions/"' in html


def test_ending_a_sign_in_from_the_page_refuses_its_tokens(cast, page_client):
    family, api = api_sign_in(cast.member)

    response = page_client(cast.member).post(f"/account/sessions/{family}/end/", follow=True)

    assert response.redirect_chain == [("/account/sessions/", 302)]
    assert "Session ended" in response.content.decode()
    assert api.get("/api/tenants/current").status_code == 401


def test_another_persons_sign_in_is_a_404_from_the_page(cast, page_client):
    family, api = api_sign_in(cast.owner)

    for who in (cast.member, cast.admin, cast.outsider):
        assert page_client(who).post(f"/account/sessions/{family}/end/").status_code == 404
    assert api.get("/api/tenants/current").status_code == 200


def test_ending_all_api_sign_ins_from_the_page(cast, page_client):
    _, first = api_sign_in(cast.member)
    _, second = api_sign_in(cast.member)
    _, owners = api_sign_in(cast.owner)
    client = page_client(cast.member)

    response = client.post("/account/sessions/end-others/", follow=True)

    assert "Ended 2 API sessions." in response.content.decode()
    assert first.get("/api/tenants/current").status_code == 401
    assert second.get("/api/tenants/current").status_code == 401
    assert owners.get("/api/tenants/current").status_code == 200
    assert client.get("/account/sessions/").status_code == 200  # this browser stays in
