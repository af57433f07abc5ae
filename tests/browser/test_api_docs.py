"""/api/docs/ in a real browser: Swagger UI renders the schema under the site's CSP."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_every_operation_and_the_examples_without_a_csp_violation(
    page: Any, plans: Any, screens: Any
) -> None:
    page.goto("/api/docs/")

    register = page.locator(".opblock-summary-path", has_text="/api/tenants/register").first
    register.wait_for()
    assert page.locator(".opblock").count() > 30
    register.click()
    opened = page.locator(".opblock.is-open")
    opened.locator(".responses-wrapper").wait_for()
    text = opened.inner_text()
    assert "correct-horse-battery-staple" in text  # the request example
    assert "acme-research" in text  # the 201 example
    assert "email_taken" in text  # the 409 example
    screens(page, "api-docs-register")
    # The page fixture fails the test on any "Refused to ..." (CSP) console message.
