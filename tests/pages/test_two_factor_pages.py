"""The two-factor pages: enrol with the QR page, the login's second step, the requirement."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from django.test import Client

from tenants.page_auth import SESSION_TENANT_KEY
from tests.conftest import PASSWORD, make_member
from tests.two_factor_helpers import code_for, enrol

pytestmark = pytest.mark.django_db

PAGE = "/account/two-factor/"


def enrol_on_the_page(client: Client) -> tuple[str, str]:
    """(secret, the page that shows the recovery codes)."""
    assert client.post(PAGE, {"action": "start"}).status_code == 302
    page = client.get(PAGE).content.decode()
    secret = re.search(r'data-testid="two-factor-secret">([A-Z2-7]+)<', page).group(1)
    shown = client.post(PAGE, {"action": "confirm", "code": code_for(secret)})
    assert shown.status_code == 200
    return secret, shown.content.decode()


def sign_in(client: Client, email: str = "member@acme.example", **extra: str):
    return client.post("/login/", {"email": email, "password": PASSWORD, **extra})


def test_the_account_page_links_to_two_factor(cast, page_client):
    page = page_client(cast.member).get("/account/").content.decode()
    assert 'href="/account/two-factor/"' in page


def test_enrolment_draws_the_qr_code_here_and_offers_the_codes_as_a_file(cast, page_client):
    client = page_client(cast.member)
    client.post(PAGE, {"action": "start"})
    page = client.get(PAGE)
    html = page.content.decode()
    assert "no-store" in page["Cache-Control"]
    assert '<svg width="' in html and 'class="segno"' in html
    assert "https://" not in html.split("<figure")[1].split("</figure>")[0]

    secret = re.search(r'data-testid="two-factor-secret">([A-Z2-7]+)<', html).group(1)
    response = client.post(PAGE, {"action": "confirm", "code": code_for(secret)})
    shown = response.content.decode()

    codes = re.findall(r"<li>([a-z2-7]{8})</li>", shown)
    assert len(codes) == 10
    link = re.search(r'href="data:text/plain;charset=utf-8,([^"]+)" download="([^"]+)"', shown)
    assert link.group(2) == "catalytic-recovery-codes.txt"
    assert all(code in unquote(link.group(1)) for code in codes)
    # Shown once: the next visit shows the state, not the codes.
    again = client.get(PAGE).content.decode()
    assert "10 unused recovery codes" in again
    assert codes[0] not in again


def test_a_wrong_first_code_is_shown_on_the_form(cast, page_client):
    client = page_client(cast.member)
    client.post(PAGE, {"action": "start"})
    response = client.post(PAGE, {"action": "confirm", "code": "12"})
    assert response.status_code == 400
    assert "The code is incorrect" in response.content.decode()


def test_login_asks_for_the_code_in_a_second_step(cast, page_client):
    secret, _ = enrol_on_the_page(page_client(cast.member))
    client = Client()

    first = sign_in(client)
    assert first.status_code == 302 and first["Location"].startswith("/login/code/")
    assert client.get("/dashboard/").status_code == 302  # not signed in yet

    wrong = client.post(
        first["Location"], {"code": "000000" if code_for(secret, 1) != "000000" else "111111"}
    )
    assert wrong.status_code == 400
    assert "The code is incorrect" in wrong.content.decode()


def test_the_right_code_signs_in(cast, page_client):
    secret, _ = enrol_on_the_page(page_client(cast.member))
    client = Client()
    first = sign_in(client)

    done = client.post(first["Location"], {"code": code_for(secret, 1)})

    assert done.status_code == 302 and done["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200
    assert client.session[SESSION_TENANT_KEY] == str(cast.tenant.pk)


def test_a_recovery_code_signs_in_once(cast, page_client):
    _, shown = enrol_on_the_page(page_client(cast.member))
    code = re.findall(r"<li>([a-z2-7]{8})</li>", shown)[0]

    client = Client()
    assert client.post(sign_in(client)["Location"], {"code": code}).status_code == 302
    other = Client()
    assert other.post(sign_in(other)["Location"], {"code": code}).status_code == 400


def test_the_second_step_without_the_first_goes_back_to_login(cast):
    response = Client().get("/login/code/")
    assert response.status_code == 302 and response["Location"] == "/login/"


def test_people_without_two_factor_sign_in_in_one_step(cast):
    response = sign_in(Client())
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


def test_turning_it_off_on_the_page(cast, page_client):
    client = page_client(cast.member)
    secret, _ = enrol_on_the_page(client)

    response = client.post(
        PAGE, {"action": "disable", "off-password": PASSWORD, "off-code": code_for(secret, 1)}
    )

    assert response.status_code == 302
    assert 'data-testid="start-two-factor"' in client.get(PAGE).content.decode()


def test_a_required_workspace_sends_members_to_enrolment(cast, client_for, page_client):
    enrol(client_for(cast.owner))
    client_for(cast.owner).patch(
        "/api/tenants/current", {"require_two_factor": True}, format="json"
    )
    client = page_client(cast.member)

    for path in ["/dashboard/", "/lattices/", "/team/"]:
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, PAGE)
    assert client.get(PAGE).status_code == 200
    assert client.get("/account/").status_code == 200

    enrol_on_the_page(client)
    assert client.get("/dashboard/").status_code == 200


def test_a_required_workspace_does_not_reach_other_workspaces(cast, client_for, page_client):
    enrol(client_for(cast.owner))
    client_for(cast.owner).patch(
        "/api/tenants/current", {"require_two_factor": True}, format="json"
    )
    other = make_member(cast.other_tenant, "member@acme.example", "member")
    assert page_client(other).get("/dashboard/").status_code == 200


def test_a_person_in_several_workspaces_chooses_one_after_the_code(cast, page_client):
    make_member(cast.other_tenant, "member@acme.example", "viewer")
    secret, _ = enrol_on_the_page(page_client(cast.member))
    client = Client()

    done = client.post(sign_in(client)["Location"], {"code": code_for(secret, 1)})

    assert done.status_code == 302 and done["Location"].startswith("/login/workspace/")
    chosen = client.post(done["Location"], {"tenant": "globex-grids"})
    assert chosen.status_code == 302
    assert client.session[SESSION_TENANT_KEY] == str(cast.other_tenant.pk)
