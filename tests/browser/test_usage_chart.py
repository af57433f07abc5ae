"""The dashboard's usage chart in a real browser: drawn, coloured by the stylesheet, and
without a CSP violation (the page fixture fails the test on any "Refused to ...")."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from billing.models import UsageCounter
from billing.usage import current_period, record_api_call
from tests.conftest import PASSWORD, caller_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_chart_renders_under_the_csp(page: Any, cast: Any, screens: Any) -> None:
    UsageCounter.objects.create(
        tenant=cast.tenant, period_start=current_period().start, api_calls=840
    )
    for _ in range(3):
        record_api_call(caller_for(cast.tenant, cast.member.user))

    page.goto("/login/")
    page.get_by_label("Email", exact=True).fill(cast.owner.user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Acme Lattices")).to_be_visible()

    chart = page.get_by_role("img", name="API calls used this month, day by day, against the quota")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    # The stylesheet, not an inline style, colours the bars and the quota line.
    bar_fill = page.locator("rect.chart-bar.today").evaluate("el => getComputedStyle(el).fill")
    quota_stroke = page.locator("line.chart-quota").evaluate("el => getComputedStyle(el).stroke")
    assert bar_fill == "rgb(11, 122, 107)"  # --accent
    assert quota_stroke == "rgb(180, 35, 24)"  # --danger
    expect(page.get_by_test_id("usage-warning")).to_contain_text("80% of this month's API calls")
    expect(page.get_by_role("table", name="Who used the calls this month")).to_contain_text(
        "member@acme.example"
    )
    screens(page, "dashboard-usage-chart")
