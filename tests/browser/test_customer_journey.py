"""The issue's journey in a real browser, one screenshot per step (test-artifacts/browser/).

sign up → dashboard shows Free → confirm the email through its link → create a 2-D
lattice with obstacles → find a path and see it drawn → invite a member (and a viewer) →
log out → the member accepts and logs in as a member → the viewer sees no write controls
→ the owner opens billing and is sent to Checkout (Stripe faked) → staff suspends the
tenant in the admin → the customer sees the suspended banner.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from accounts.models import User
from notifications.models import Kind, OutboxMessage
from tenants.models import Membership, Role, Tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OWNER_EMAIL = "ada@lovelace-labs.example"
OWNER_PASSWORD = "analytical-engine-1843"
STAFF_PASSWORD = "staff-only-passphrase-77"


def log_in(page: Any, email: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def nav(page: Any) -> Any:
    return page.get_by_role("navigation", name="Main")


def log_out(page: Any) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def invitation_path(mailbox: list[Any], email: str) -> str:
    """The link of the invitation email as delivered (the outbox row keeps no token)."""
    assert OutboxMessage.objects.filter(kind=Kind.MEMBER_INVITATION, to_email=email).exists()
    [message] = [m for m in mailbox if email in m.to and "/invitations/accept/" in m.body]
    return re.search(r"(/invitations/accept/[^/\s]+/)", message.body).group(1)


def emailed_path(mailbox: list[Any], email: str, prefix: str) -> str:
    """The path of the link starting with `prefix` in the email delivered to `email`."""
    [message] = [m for m in mailbox if email in m.to and prefix in m.body]
    return re.search(rf"({re.escape(prefix)}[^/\s]+/)", message.body).group(1)


def accept(page: Any, mailbox: list[Any], email: str, first_name: str, password: str) -> None:
    page.goto(invitation_path(mailbox, email))
    expect(page.get_by_role("heading", name="Join Lovelace Labs")).to_be_visible()
    page.get_by_label("First name", exact=True).fill(first_name)
    page.get_by_label("Last name", exact=True).fill("Tester")
    page.get_by_label("Choose a password", exact=True).fill(password)
    page.get_by_label("Password again", exact=True).fill(password)
    page.get_by_role("button", name="Accept and join").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def test_customer_journey(
    page: Any,
    browser_context: Any,
    chromium: Any,
    live_server: Any,
    screens: Any,
    settings: Any,
    stripe_account: Any,
    stripe_plans: Any,
    fake_stripe: Any,
    mailoutbox: list[Any],
) -> None:
    # --- sign up: the dashboard shows the Free plan ---------------------------------------
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    screens(page, "landing")
    page.get_by_role("link", name="Start free").click()
    page.get_by_label("Company or team name", exact=True).fill("Lovelace Labs")
    page.get_by_label("First name", exact=True).fill("Ada")
    page.get_by_label("Last name", exact=True).fill("Lovelace")
    page.get_by_label("Work email", exact=True).fill(OWNER_EMAIL)
    page.get_by_label("Password", exact=True).fill(OWNER_PASSWORD)
    page.get_by_label("Password again", exact=True).fill(OWNER_PASSWORD)
    screens(page, "signup-form")
    page.get_by_role("button", name="Create workspace").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("heading", name="Lovelace Labs")).to_be_visible()
    expect(page.get_by_test_id("plan-name")).to_have_text("Free")
    screens(page, "dashboard-free")

    # --- confirm the email address: until then inviting is refused -----------------------
    expect(page.get_by_test_id("email-unverified-banner")).to_be_visible()
    page.goto(emailed_path(mailoutbox, OWNER_EMAIL, "/account/verify-email/"))
    expect(page.get_by_role("heading", name="Email address confirmed")).to_be_visible()
    screens(page, "email-confirmed")
    page.goto("/dashboard/")
    expect(page.get_by_test_id("email-unverified-banner")).to_have_count(0)

    # --- a 2-D lattice with obstacles -----------------------------------------------------
    page.get_by_role("link", name="New lattice").first.click()
    page.get_by_label("Name", exact=True).fill("Warehouse floor")
    page.get_by_label("Dimensions", exact=True).fill("2")
    page.get_by_label("Points per axis", exact=True).fill("10")
    page.get_by_label("These blocked points", exact=True).check()
    page.get_by_label("Blocked points", exact=True).fill(
        "3, 0\n3, 1\n3, 2\n3, 3\n3, 4\n3, 5\n6, 9\n6, 8\n6, 7\n6, 6"
    )
    screens(page, "new-lattice-form")
    page.get_by_role("button", name="Create lattice").click()
    expect(page.get_by_role("heading", name="Warehouse floor")).to_be_visible()
    expect(page.locator("svg.lattice-grid .blocked rect")).to_have_count(10)
    screens(page, "lattice-created")

    # --- find a path and see it drawn -----------------------------------------------------
    page.get_by_label("Start", exact=True).fill("0, 0")
    page.get_by_label("End", exact=True).fill("9, 9")
    page.get_by_role("button", name="Find path").click()
    expect(page.get_by_test_id("path-summary")).to_contain_text("Shortest path found: 20 steps")
    expect(page.locator("svg.lattice-grid polyline.path-line")).to_have_count(1)
    expect(page.locator("svg.lattice-grid circle.end")).to_have_count(1)
    screens(page, "path-drawn")

    # --- an API key, shown once with a copy button -----------------------------------------
    nav(page).get_by_role("link", name="API keys").click()
    page.get_by_label("Name", exact=True).fill("Nightly import")
    page.get_by_label("Read and write").check()
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_test_id("new-api-key")).to_contain_text("cat_")
    expect(page.get_by_role("button", name="Copy")).to_be_visible()  # app.js revealed it
    screens(page, "api-key-created")

    # --- invite a member and a viewer, then log out ---------------------------------------
    nav(page).get_by_role("link", name="Team").click()
    for email, role in (
        ("grace@lovelace-labs.example", "Member"),
        ("alan@lovelace-labs.example", "Viewer"),
    ):
        page.get_by_label("Email", exact=True).fill(email)
        page.get_by_label("Role", exact=True).select_option(label=role)
        page.get_by_role("button", name="Send invitation").click()
        expect(page.get_by_text(f"Invitation sent to {email}.")).to_be_visible()
    screens(page, "team-invited")
    log_out(page)

    # --- the member accepts, and logs in as a member --------------------------------------
    accept(page, mailoutbox, "grace@lovelace-labs.example", "Grace", "compiler-pioneer-1952")
    log_out(page)
    log_in(page, "grace@lovelace-labs.example", "compiler-pioneer-1952")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_text("Your role: Member")).to_be_visible()
    expect(page.get_by_role("link", name="New lattice")).to_be_visible()
    screens(page, "member-dashboard")
    log_out(page)

    # --- a viewer sees no write controls --------------------------------------------------
    accept(page, mailoutbox, "alan@lovelace-labs.example", "Alan", "enigma-machine-bombe-1940")
    expect(page.get_by_text("Your role: Viewer")).to_be_visible()
    expect(page.get_by_role("link", name="New lattice")).to_have_count(0)
    nav(page).get_by_role("link", name="Lattices").click()
    page.get_by_role("link", name="Warehouse floor").click()
    expect(page.get_by_role("heading", name="Read-only access")).to_be_visible()
    expect(page.get_by_role("button", name="Find path")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete lattice")).to_have_count(0)
    screens(page, "viewer-lattice-read-only")
    nav(page).get_by_role("link", name="Team").click()
    expect(page.get_by_role("button", name="Send invitation")).to_have_count(0)
    expect(nav(page).get_by_role("link", name="Billing")).to_have_count(0)
    screens(page, "viewer-read-only")
    log_out(page)
    assert Membership.objects.get(user__email="alan@lovelace-labs.example").role == Role.VIEWER

    # --- the owner opens billing and is sent to Checkout ----------------------------------
    log_in(page, OWNER_EMAIL, OWNER_PASSWORD)
    nav(page).get_by_role("link", name="Billing").click()
    expect(page.get_by_test_id("billing-plan")).to_have_text("Free")
    screens(page, "billing")
    page.get_by_test_id("choose-starter").click()
    expect(page).to_have_url(re.compile(r"^https://checkout\.stripe\.com/c/pay/cs_test"))
    screens(page, "stripe-checkout")
    [call] = fake_stripe.calls_to("POST", "/v1/checkout/sessions")
    assert call.params["line_items"][0]["price"] == "price_starter_month"

    # --- staff suspends the tenant in the admin -------------------------------------------
    User.objects.create_superuser(email="staff@catalytic.example", password=STAFF_PASSWORD)
    staff = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    staff.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(live_server.url) else route.abort()
        ),
    )
    staff.set_default_timeout(10_000)
    admin = staff.new_page()
    admin.goto(f"/{settings.ADMIN_PATH}")
    admin.locator("#id_username").fill("staff@catalytic.example")  # the admin's "Email:" field
    admin.locator("#id_password").fill(STAFF_PASSWORD)
    admin.get_by_role("button", name="Log in").click()
    admin.goto(f"/{settings.ADMIN_PATH}tenants/tenant/?q=lovelace")
    admin.get_by_role("checkbox", name=re.compile("Select this object")).first.check()
    admin.select_option("select[name=action]", "suspend")
    admin.get_by_role("button", name="Go").click()
    admin.locator("#id_reason").fill("Payment overdue for 30 days")
    screens(admin, "admin-suspend")
    admin.get_by_role("button", name="Suspend", exact=True).click()
    expect(admin.get_by_text("Suspended 1 tenant(s).")).to_be_visible()
    screens(admin, "admin-suspended")
    staff.close()
    assert Tenant.objects.get(name="Lovelace Labs").status == Tenant.Status.SUSPENDED

    # --- the customer sees the suspended banner -------------------------------------------
    page.goto("/dashboard/")
    banner = page.get_by_role("alert").filter(has_text="This workspace is suspended.")
    expect(banner).to_contain_text("Reason: Payment overdue for 30 days.")
    expect(page.get_by_role("link", name="New lattice")).to_have_count(0)
    screens(page, "suspended-banner")
    page.set_viewport_size({"width": 390, "height": 844})
    screens(page, "suspended-banner-mobile")
