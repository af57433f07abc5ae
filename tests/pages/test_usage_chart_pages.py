"""The dashboard and billing page chart this month's calls, say who made them, and warn
before the quota runs out."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import ApiKey
from billing.models import Subscription, UsageCounter
from billing.usage import current_period, record_api_call
from lattices import services
from tenants.context import AuthContext
from tests.conftest import caller_for

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def spend(cast: Any, calls: int, caller: AuthContext) -> None:
    for _ in range(calls):
        assert record_api_call(caller).allowed


def chart_of(html: str) -> ET.Element:
    match = re.search(r'<svg class="chart".*?</svg>', html, re.S)
    assert match, "no chart on the page"
    # Parsed as XML: the markup a browser gets is well formed, with the SVG namespace.
    return ET.fromstring(
        match.group(0).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    )


@pytest.fixture
def key(cast: Any) -> ApiKey:
    return ApiKey.objects.create(
        tenant=cast.tenant, name="Nightly import", prefix="abc123", key_hash="0" * 64
    )


def test_the_dashboard_charts_the_month_with_title_desc_and_a_table(cast, page_client, key):
    spend(cast, 3, caller_for(cast.tenant, cast.member.user))
    spend(cast, 2, caller_for(cast.tenant, api_key_id=key.pk))

    html = page_client(cast.viewer).get("/dashboard/").content.decode()

    svg = chart_of(html)
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "dashboard-usage-chart-title dashboard-usage-chart-desc"
    title = svg.find(f"{SVG}title")
    desc = svg.find(f"{SVG}desc")
    assert title is not None and title.get("id") == "dashboard-usage-chart-title"
    assert "API calls used this month" in title.text
    assert desc is not None and "5 of 1,000 so far" in desc.text
    today = timezone.now().astimezone(UTC).date()
    bars = svg.findall(f"{SVG}rect")
    assert len(bars) == today.day  # one bar per day of the month so far
    assert "chart-bar today" in bars[-1].get("class")
    assert svg.find(f"{SVG}line[@class='chart-quota']") is not None
    assert svg.find(f"{SVG}line[@class='chart-projection']") is not None
    assert " style=" not in html  # the CSP (style-src 'self') blocks inline styles
    table = re.search(
        r'<table class="visually-hidden" data-testid="usage-chart-table">.*?</table>', html, re.S
    )
    assert table and "API calls of each day this month" in table.group(0)
    assert f'<th scope="row">{today:%b} {today.day}</th><td>5</td><td>5</td>' in table.group(0)


def test_the_dashboard_says_who_used_the_calls(cast, page_client, key):
    spend(cast, 3, caller_for(cast.tenant, cast.member.user))
    spend(cast, 2, caller_for(cast.tenant, api_key_id=key.pk))
    spend(cast, 1, caller_for(cast.tenant, cast.owner.user))

    html = page_client(cast.member).get("/dashboard/").content.decode()

    callers = re.search(r'<table data-testid="usage-callers">.*?</table>', html, re.S).group(0)
    rows = re.findall(r"<tr><td>(.*?)</td><td class=\"num\">(\d+)</td></tr>", callers)
    assert rows == [
        ("member@acme.example", "3"),
        ("owner@acme.example", "1"),
        ("API key “Nightly import”", "2"),
    ]


def test_another_tenants_calls_are_not_in_the_chart(cast, page_client):
    record_api_call(caller_for(cast.other_tenant, cast.outsider.user))

    html = page_client(cast.owner).get("/dashboard/").content.decode()

    assert "0 of 1,000 so far" in html
    assert "owner@globex.example" not in html
    assert "No calls yet this month." in html


@pytest.mark.parametrize(
    ("used", "banner"),
    [
        (799, None),
        (800, "80% of this month's API calls are used"),
        (1000, "All of this month's API calls are used"),
    ],
)
def test_the_dashboard_warns_from_80_percent(cast, page_client, used, banner):
    UsageCounter.objects.create(
        tenant=cast.tenant, period_start=current_period().start, api_calls=used
    )

    html = page_client(cast.member).get("/dashboard/").content.decode()

    # The chart starts from the month's counter too (calls counted before the history).
    assert f"{used:,} of 1,000 so far" in html
    if banner is None:
        assert 'data-testid="usage-warning"' not in html
    else:
        assert 'data-testid="usage-warning"' in html and banner in html
        assert "An owner or admin of this workspace can choose a larger plan." in html


def test_admins_get_the_upgrade_link_in_the_banner(cast, page_client):
    UsageCounter.objects.create(
        tenant=cast.tenant, period_start=current_period().start, api_calls=900
    )

    html = page_client(cast.admin).get("/dashboard/").content.decode()

    assert 'href="/billing/">Choose a larger plan</a>' in html


def test_an_unlimited_plan_has_no_quota_line_and_no_warning(cast, page_client, plans):
    Subscription.objects.filter(tenant=cast.tenant).update(plan=plans["enterprise"])
    UsageCounter.objects.create(
        tenant=cast.tenant, period_start=current_period().start, api_calls=10**7
    )

    html = page_client(cast.member).get("/dashboard/").content.decode()

    svg = chart_of(html)
    assert svg.find(f"{SVG}line[@class='chart-quota']") is None
    assert 'data-testid="usage-warning"' not in html


def test_the_billing_page_has_the_chart_and_who_used_it(cast, page_client, no_stripe):
    spend(cast, 2, caller_for(cast.tenant, cast.member.user))

    html = page_client(cast.owner).get("/billing/").content.decode()

    svg = chart_of(html)
    assert svg.find(f"{SVG}title").get("id") == "billing-usage-chart-title"
    assert "2 of 1,000 so far" in svg.find(f"{SVG}desc").text
    assert 'data-testid="usage-chart-table"' in html
    assert "member@acme.example" in html


def test_the_dashboard_splits_calls_between_the_api_and_the_website(cast, page_client):
    lattice = services.create_lattice(
        caller_for(cast.tenant, cast.owner.user), name="Floor", dimensions=2, size=5
    )
    member = page_client(cast.member)
    member.post(f"/lattices/{lattice.pk}/path/", {"path-start": "0, 0", "path-end": "1, 0"})
    spend(cast, 2, caller_for(cast.tenant, cast.member.user))

    html = page_client(cast.owner).get("/dashboard/").content.decode()

    split = re.search(r'data-testid="usage-split">(.*?)</p>', html, re.S).group(1)
    assert "<strong>2</strong> from the API" in split
    assert "<strong>1</strong> from the website" in split
    # One row for the member: the website's call and the API's together.
    callers = re.findall(r"<tr><td>(.*?)</td><td class=\"num\">(\d+)</td></tr>", html)
    assert ("member@acme.example", "3") in callers
    assert "Calls (API and website)" in html
