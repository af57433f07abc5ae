"""Sign-up, login (with the workspace chooser), logout and password reset pages."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.models import User
from billing.models import Subscription
from notifications.models import Kind, OutboxMessage
from notifications.password_resets import answer_reset_requests
from tenants.models import AuditEvent, Membership, Role, Tenant
from tenants.page_auth import SESSION_TENANT_KEY
from tests.conftest import PASSWORD, make_member, make_tenant

pytestmark = pytest.mark.django_db

SIGNUP = {
    "company_name": "Initech Grids",
    "first_name": "Peter",
    "last_name": "Gibbons",
    "email": "Peter@Initech.example",
    "password1": "a-long-and-unusual-passphrase-7",
    "password2": "a-long-and-unusual-passphrase-7",
    "plan": "free",
}


def login(client: Client, email: str, password: str = PASSWORD, **extra: str):
    return client.post("/login/", {"email": email, "password": password, **extra})


# --- sign-up ----------------------------------------------------------------------------


def test_signup_creates_the_tenant_owner_subscription_and_welcome_email(plans, browser_anon):
    response = browser_anon.post("/signup/", SIGNUP)

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    tenant = Tenant.objects.get(name="Initech Grids")
    owner = Membership.objects.get(tenant=tenant)
    assert owner.role == Role.OWNER
    assert owner.user.email == "peter@initech.example"
    assert tenant.subscription.plan.code == "free"
    assert OutboxMessage.objects.filter(
        kind=Kind.WELCOME, to_email="peter@initech.example"
    ).exists()
    assert AuditEvent.objects.filter(tenant=tenant, action="tenant.registered").exists()
    dashboard = browser_anon.get("/dashboard/")
    assert dashboard.status_code == 200
    assert b"Initech Grids" in dashboard.content


def test_signup_on_a_paid_plan_starts_its_trial(plans, browser_anon):
    browser_anon.post("/signup/", {**SIGNUP, "plan": "starter"})

    subscription = Subscription.objects.get(tenant__name="Initech Grids")
    assert subscription.plan.code == "starter"
    assert subscription.status == Subscription.Status.TRIALING
    page = browser_anon.get("/dashboard/").content.decode()
    assert "Starter trial:" in page
    assert "14 days left" in page


def test_signup_shows_each_error_next_to_its_field(plans, browser_anon):
    response = browser_anon.post(
        "/signup/",
        {**SIGNUP, "email": "not-an-email", "company_name": "", "password2": "different"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    for field in ("email", "company_name", "password2"):
        assert f'id="id_{field}_error"' in html
        assert re.search(rf'id="id_{field}"[^>]*aria-invalid="true"', html) or re.search(
            rf'aria-invalid="true"[^>]*id="id_{field}"', html
        )
    assert "The two passwords do not match." in html
    assert not Tenant.objects.filter(name="Initech Grids").exists()


def test_signup_refuses_a_weak_password_with_the_validators_message(plans, browser_anon):
    response = browser_anon.post(
        "/signup/", {**SIGNUP, "password1": "12345678", "password2": "12345678"}
    )

    assert response.status_code == 400
    assert "This password is too common." in response.content.decode()
    assert not User.objects.filter(email="peter@initech.example").exists()


def test_signup_with_a_taken_email_says_so_at_the_email_field(cast, browser_anon):
    response = browser_anon.post("/signup/", {**SIGNUP, "email": "OWNER@acme.example"})

    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="id_email_error"' in html
    assert "already exists" in html
    assert Tenant.objects.count() == 2


def test_signup_preselects_the_plan_chosen_on_the_pricing_page(plans, browser_anon):
    html = browser_anon.get("/signup/?plan=professional").content.decode()

    assert re.search(r'value="professional"[^>]*checked', html)


# --- login ------------------------------------------------------------------------------


def test_login_with_one_workspace_goes_to_the_dashboard(cast, browser_anon):
    response = login(browser_anon, "Member@Acme.example")

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert browser_anon.session[SESSION_TENANT_KEY] == str(cast.tenant.pk)
    assert AuditEvent.objects.filter(
        tenant=cast.tenant, action="login.succeeded", actor=cast.member.user
    ).exists()


def test_login_follows_a_local_next_but_not_another_site(cast, browser_anon):
    assert login(browser_anon, "member@acme.example", next="/lattices/")["Location"] == "/lattices/"
    other = Client()
    response = login(other, "member@acme.example", next="https://evil.example/")
    assert response["Location"] == "/dashboard/"


def test_login_with_a_wrong_password_shows_one_generic_error(cast, browser_anon):
    response = login(browser_anon, "member@acme.example", "wrong-password")

    assert response.status_code == 400
    assert "The email or password is incorrect." in response.content.decode()
    assert "_auth_user_id" not in browser_anon.session
    assert AuditEvent.objects.filter(action="login.failed").exists()


def test_login_of_a_suspended_membership_is_refused(cast, browser_anon):
    Membership.objects.filter(pk=cast.viewer.pk).update(is_active=False)

    response = login(browser_anon, "viewer@acme.example")

    assert response.status_code == 400
    assert "suspended" in response.content.decode()
    assert "_auth_user_id" not in browser_anon.session


def test_login_with_several_workspaces_asks_which_one(cast, browser_anon):
    second = make_tenant("Second Site", cast.tenant.subscription.plan)
    make_member(second, "member@acme.example", Role.VIEWER)

    response = login(browser_anon, "member@acme.example")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/workspace/")
    chooser = browser_anon.get(response["Location"]).content.decode()
    assert "Acme Lattices" in chooser and "Second Site" in chooser
    assert browser_anon.get("/dashboard/")["Location"].startswith("/login/workspace/")

    chosen = browser_anon.post("/login/workspace/", {"tenant": str(second.pk), "next": "/team/"})

    assert chosen["Location"] == "/team/"
    assert browser_anon.session[SESSION_TENANT_KEY] == str(second.pk)
    team = browser_anon.get("/team/").content.decode()
    assert "Second Site" in team


def test_the_chooser_refuses_a_workspace_the_user_is_not_in(cast, browser_anon):
    second = make_tenant("Second Site", cast.tenant.subscription.plan)
    make_member(second, "member@acme.example", Role.VIEWER)
    login(browser_anon, "member@acme.example")

    response = browser_anon.post("/login/workspace/", {"tenant": str(cast.other_tenant.pk)})

    assert response.status_code == 400
    assert SESSION_TENANT_KEY not in browser_anon.session


def test_the_header_switcher_moves_between_workspaces(cast, page_client):
    second = make_tenant("Second Site", cast.tenant.subscription.plan)
    make_member(second, "member@acme.example", Role.OWNER)
    client = page_client(cast.member)
    assert 'name="tenant"' in client.get("/dashboard/").content.decode()

    client.post("/login/workspace/", {"tenant": str(second.pk)})

    html = client.get("/dashboard/").content.decode()
    assert "<h1>Second Site</h1>" in html
    assert "Your role: Owner" in html


# --- logout -----------------------------------------------------------------------------


def test_logout_needs_a_post(cast, page_client):
    client = page_client(cast.member)

    page = client.get("/logout/")
    assert page.status_code == 200
    assert client.get("/dashboard/").status_code == 200

    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/dashboard/")["Location"].startswith("/login/")
    assert AuditEvent.objects.filter(action="logout", actor=cast.member.user).exists()


def test_anonymous_visitors_are_sent_to_login_with_next(browser_anon, plans):
    response = browser_anon.get("/lattices/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Flattices%2F"


# --- password reset ---------------------------------------------------------------------


def _reset_link(email: str) -> str:
    answer_reset_requests()  # the email worker's turn: it queues the link
    message = OutboxMessage.objects.get(kind=Kind.PASSWORD_RESET, to_email=email)
    match = re.search(r"https?://[^/\s]+(/password-reset/[^/\s]+/[^/\s]+/)", message.text_body)
    assert match, message.text_body
    return match.group(1)


def test_password_reset_emails_a_link_that_sets_a_new_password(cast, browser_anon):
    response = browser_anon.post("/password-reset/", {"email": "member@acme.example"})
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    link = _reset_link("member@acme.example")

    form = browser_anon.get(link)
    assert form.status_code == 200
    done = browser_anon.post(
        link, {"password1": "a-brand-new-passphrase-9", "password2": "a-brand-new-passphrase-9"}
    )

    assert done.status_code == 302
    assert done["Location"].startswith("/login/")
    user = User.objects.get(email="member@acme.example")
    assert user.check_password("a-brand-new-passphrase-9")
    assert browser_anon.get(link).status_code == 400  # the link works once


def test_password_reset_answers_the_same_for_an_unknown_email(plans, browser_anon):
    response = browser_anon.post("/password-reset/", {"email": "nobody@nowhere.example"})

    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    answer_reset_requests()
    assert not OutboxMessage.objects.filter(kind=Kind.PASSWORD_RESET).exists()


def test_password_reset_confirm_rejects_a_forged_link(cast, browser_anon):
    response = browser_anon.get("/password-reset/Zm9v/not-a-token/")

    assert response.status_code == 400
    assert "invalid or has expired" in response.content.decode()


def test_password_reset_confirm_shows_password_errors_at_the_field(cast, browser_anon):
    browser_anon.post("/password-reset/", {"email": "member@acme.example"})
    link = _reset_link("member@acme.example")

    response = browser_anon.post(link, {"password1": "short", "password2": "short"})

    assert response.status_code == 400
    assert 'id="id_password2_error"' in response.content.decode()
    assert User.objects.get(email="member@acme.example").check_password(PASSWORD)
