"""Two-factor sign-in in a real browser: enrol with the QR page's secret, download the
recovery codes, log out, log in again with a code computed from the secret."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.two_factor_helpers import code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def password_step(page: Any, email: str) -> None:
    page.goto("/login/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_enrol_sign_out_and_sign_in_with_the_code(page: Any, cast: Any, screens: Any) -> None:
    email = cast.member.user.email
    password_step(page, email)
    expect(page).to_have_url(re.compile(r"/dashboard/$"))

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Account").click()
    page.get_by_test_id("two-factor-settings").click()
    page.get_by_test_id("start-two-factor").click()
    qr = page.locator("figure.qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100
    screens(page, "scan-the-qr-code")

    secret = page.get_by_test_id("two-factor-secret").inner_text().strip()
    page.get_by_label("Code", exact=True).fill(code_for(secret))
    page.get_by_test_id("confirm-two-factor").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.get_by_test_id("recovery-codes").locator("li").all_inner_texts()
    assert len(codes) == 10
    with page.expect_download() as download:
        page.get_by_test_id("download-recovery-codes").click()
    assert download.value.suggested_filename == "catalytic-recovery-codes.txt"
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    assert all(code in saved for code in codes)
    expect(page.get_by_test_id("two-factor-status")).to_have_text("On")
    screens(page, "recovery-codes")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    password_step(page, email)
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    screens(page, "asks-for-the-code")
    # The code of the enrolment's step was spent; the next step's is accepted (one step
    # of clock drift either side), once.
    page.get_by_label("Code", exact=True).fill(code_for(secret, 1))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("heading", name="Acme Lattices")).to_be_visible()
    screens(page, "signed-in-with-the-code")
