"""Every /api/lattices request counts one call of the month; the quota is enforced (429)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.cache import cache

from billing.models import UsageCounter
from billing.usage import current_period, record_api_call
from lattices.api import urls as lattice_api_urls
from lattices.api.metering import MeteredProductAPIMixin
from lattices.models import Lattice
from tests.lattices.conftest import by, calls_used

pytestmark = pytest.mark.django_db

LIST = "/api/lattices"


def test_every_product_request_counts_one_call(cast, client_for, make_lattice):
    lattice = make_lattice()
    theirs = make_lattice(tenant=cast.other_tenant)
    member = client_for(cast.member)

    member.get(LIST)
    member.get(f"{LIST}/{lattice.pk}")
    member.post(f"{LIST}/{lattice.pk}/path", {"start": [0, 0], "end": [1, 1]}, format="json")
    member.post(f"{LIST}/{lattice.pk}/path", {"start": [0, 0], "end": [9, 9]}, format="json")  # 400
    member.get(f"{LIST}/{theirs.pk}")  # 404: it still used the API
    response = member.get(f"{LIST}/{lattice.pk}/operations")

    assert calls_used(cast.tenant) == 5 + 1
    assert calls_used(cast.other_tenant) == 0
    assert response["X-Quota-Used"] == "6"
    assert response["X-Quota-Limit"] == "1000"
    assert response["X-Quota-Remaining"] == "994"


def test_refused_requests_do_not_count(cast, client_for, make_lattice, anon):
    lattice = make_lattice()

    anon.get(LIST)  # 401
    client_for(cast.viewer).delete(f"{LIST}/{lattice.pk}")  # 403

    assert calls_used(cast.tenant) == 0


def test_a_suspended_tenants_refused_calls_do_not_count(cast, client_for):
    cast.tenant.status = "suspended"
    cast.tenant.save()

    assert client_for(cast.member).get(LIST).status_code == 402
    assert calls_used(cast.tenant) == 0


def test_over_the_quota_it_is_429_until_the_month_ends(cast, client_for, set_calls_used):
    set_calls_used(cast.tenant, 999)
    client = client_for(cast.member)

    assert client.get(LIST).status_code == 200  # the 1000th call of the Free plan
    response = client.post(LIST, {"name": "x", "dimensions": 2, "size": 5}, format="json")

    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "quota_exceeded"
    assert error["limit"] == "api_calls_per_month"
    assert error["plan"] == "free" and error["upgrade_to"] == "starter"
    assert error["details"]["used"] == 1000 and error["details"]["allowed"] == 1000
    period = current_period()
    assert error["details"]["period_end"] == period.end.isoformat()
    retry_after = int(response["Retry-After"])
    left = (period.resets_at - datetime.now(UTC)).total_seconds()
    assert retry_after > 0 and abs(retry_after - left) < 60
    assert calls_used(cast.tenant) == 1000  # refused calls are not counted
    assert not Lattice.objects.exists()


def test_upgrading_lifts_the_quota_at_once(cast, client_for, set_calls_used, set_plan):
    set_calls_used(cast.tenant, 1000)
    client = client_for(cast.member)
    assert client.get(LIST).status_code == 429

    set_plan(cast.tenant, "starter")

    assert client.get(LIST).status_code == 200
    assert calls_used(cast.tenant) == 1001


def test_enterprise_is_unlimited_but_still_counted(cast, client_for, set_calls_used, set_plan):
    set_plan(cast.tenant, "enterprise")
    set_calls_used(cast.tenant, 10**9)

    response = client_for(cast.member).get(LIST)

    assert response.status_code == 200
    assert calls_used(cast.tenant) == 10**9 + 1
    assert "X-Quota-Limit" not in response


def test_a_cache_flush_loses_no_count(cast, client_for):
    client = client_for(cast.member)
    client.get(LIST)
    client.get(LIST)

    cache.clear()  # with REDIS_URL set, this is a FLUSHDB of the cache's Redis database

    assert client.get(LIST)["X-Quota-Used"] == "3"
    assert calls_used(cast.tenant) == 3


def test_a_new_month_starts_a_new_counter(cast):
    january = datetime(2031, 1, 31, 23, 59, 59, tzinfo=UTC)
    february = datetime(2031, 2, 1, 0, 0, 0, tzinfo=UTC)

    first = record_api_call(by(cast), now=january)
    second = record_api_call(by(cast), now=february)

    assert (first.used, second.used) == (1, 1)
    assert first.retry_after == 1
    assert first.period.start == date(2031, 1, 1) and first.period.end == date(2031, 2, 1)
    assert set(UsageCounter.objects.values_list("period_start", flat=True)) == {
        date(2031, 1, 1),
        date(2031, 2, 1),
    }


def test_december_rolls_over_into_january():
    period = current_period(datetime(2030, 12, 15, 12, tzinfo=UTC))
    assert (period.start, period.end) == (date(2030, 12, 1), date(2031, 1, 1))


def test_record_api_call_never_passes_the_limit(cast, set_calls_used):
    set_calls_used(cast.tenant, 998)

    results = [record_api_call(by(cast)) for _ in range(4)]

    assert [r.allowed for r in results] == [True, True, False, False]
    assert [r.used for r in results] == [999, 1000, 1000, 1000]
    assert calls_used(cast.tenant) == 1000


def test_every_product_api_view_is_metered():
    views = {pattern.callback.cls for pattern in lattice_api_urls.urlpatterns}
    assert views
    assert all(issubclass(view, MeteredProductAPIMixin) for view in views)


# --- GET /api/tenants/usage ------------------------------------------------------------------


def test_usage_shows_calls_and_lattices_against_the_plan(cast, client_for, make_lattice):
    make_lattice()
    make_lattice("two")
    client_for(cast.member).get(LIST)

    response = client_for(cast.viewer).get("/api/tenants/usage")

    assert response.status_code == 200
    period = current_period()
    assert response.json() == {
        "plan": "free",
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "resets_at": f"{period.end.isoformat()}T00:00:00Z",
        "api_calls": {"used": 1, "limit": 1000},
        "lattices": {"used": 2, "limit": 5},
    }
    assert calls_used(cast.tenant) == 1  # looking at usage is not itself metered


def test_usage_is_per_tenant_and_unlimited_shows_null(cast, client_for, set_plan):
    set_plan(cast.other_tenant, "enterprise")
    client_for(cast.member).get(LIST)

    body = client_for(cast.outsider).get("/api/tenants/usage").json()

    assert body["api_calls"] == {"used": 0, "limit": None}
    assert body["lattices"] == {"used": 0, "limit": None}


def test_usage_needs_authentication(anon):
    assert anon.get("/api/tenants/usage").status_code == 401
