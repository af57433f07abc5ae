"""GET /api/tenants/usage/history: each day's calls, by member and API key, as JSON or CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey
from billing.usage import record_api_call
from tenants.models import Role
from tests.conftest import bearer_client, caller_for, make_member
from tests.lattices.conftest import calls_used

pytestmark = pytest.mark.django_db

HISTORY = "/api/tenants/usage/history"
LATTICES = "/api/lattices"


def key_client(cast: Any, name: str = "CI pipeline") -> tuple[APIClient, str]:
    response = bearer_client(cast.owner).post(
        "/api/tenants/api-keys", {"name": name, "scope": "read"}, format="json"
    )
    assert response.status_code == 201, response.content
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=response.json()["key"])
    return client, response.json()["id"]


def today() -> date:
    return timezone.now().astimezone(UTC).date()


def entry_for(body: dict[str, Any], day: date) -> dict[str, Any]:
    return next(entry for entry in body["days"] if entry["date"] == day.isoformat())


def test_each_call_is_counted_on_its_day_for_the_member_or_key_that_made_it(cast):
    member = bearer_client(cast.member)
    program, key_id = key_client(cast)
    for _ in range(3):
        assert member.get(LATTICES).status_code == 200
    for _ in range(2):
        assert program.get(LATTICES).status_code == 200

    response = bearer_client(cast.viewer).get(HISTORY)

    assert response.status_code == 200
    body = response.json()
    day = entry_for(body, today())
    assert day["api_calls"] == 5
    assert day["members"] == [
        {"user_id": str(cast.member.user.pk), "email": "member@acme.example", "api_calls": 3}
    ]
    assert day["api_keys"] == [{"api_key_id": key_id, "name": "CI pipeline", "api_calls": 2}]
    # The history adds up to the monthly counter, and the quota comes with it.
    assert sum(entry["api_calls"] for entry in body["days"]) == calls_used(cast.tenant) == 5
    assert body["quota"]["api_calls"] == {"used": 5, "limit": 1000}
    assert body["quota"]["plan"] == "free"


def test_it_answers_one_entry_per_day_of_the_range_calls_or_not(cast):
    record_api_call(
        caller_for(cast.tenant, cast.admin.user),
        now=datetime(2031, 3, 2, 23, 59, tzinfo=UTC),
    )

    body = bearer_client(cast.member).get(f"{HISTORY}?from=2031-02-27&to=2031-03-03").json()

    assert (body["from"], body["to"]) == ("2031-02-27", "2031-03-03")
    assert [(d["date"], d["api_calls"]) for d in body["days"]] == [
        ("2031-02-27", 0),
        ("2031-02-28", 0),
        ("2031-03-01", 0),
        ("2031-03-02", 1),
        ("2031-03-03", 0),
    ]
    assert body["days"][0] == {"date": "2031-02-27", "api_calls": 0, "members": [], "api_keys": []}


def test_by_default_it_is_this_month_up_to_today(cast):
    body = bearer_client(cast.member).get(HISTORY).json()

    assert body["from"] == today().replace(day=1).isoformat()
    assert body["to"] == today().isoformat()
    assert len(body["days"]) == today().day


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2031-01-01&to=2032-01-02", "to"),  # 367 days
        ("from=2031-03-02&to=2031-03-01", "from"),
        ("from=yesterday", "from"),
        ("from=2031-02-30", "from"),
        ("to=2031-1-5", "to"),
        ("from=0000-01-01", "from"),
    ],
)
def test_a_bad_range_is_a_400_with_the_field(cast, query, field):
    response = bearer_client(cast.member).get(f"{HISTORY}?{query}")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]


def test_a_whole_leap_year_is_allowed(cast):
    response = bearer_client(cast.member).get(f"{HISTORY}?from=2032-01-01&to=2032-12-31")

    assert response.status_code == 200
    assert len(response.json()["days"]) == 366


def test_a_bad_range_asked_as_csv_is_still_the_json_error(cast):
    response = bearer_client(cast.member).get(f"{HISTORY}?from=2031-03-02&to=2031-03-01&format=csv")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "validation_error"


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("ask", ["format=csv", "accept"])
def test_the_csv_has_the_same_figures_as_the_json(cast, ask):
    member = bearer_client(cast.member)
    program, _ = key_client(cast)
    yesterday = timezone.now() - timedelta(days=1)
    record_api_call(caller_for(cast.tenant, cast.owner.user), now=yesterday)
    for _ in range(2):
        member.get(LATTICES)
    program.get(LATTICES)
    start = (today() - timedelta(days=3)).isoformat()
    query = f"{HISTORY}?from={start}&to={today().isoformat()}"

    as_json = member.get(query).json()
    if ask == "accept":
        response = member.get(query, HTTP_ACCEPT="text/csv")
    else:
        response = member.get(f"{query}&format=csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    rows = parse_csv(response.content.decode())
    assert [row["date"] for row in rows] == [day["date"] for day in as_json["days"]]
    for row, day in zip(rows, as_json["days"], strict=True):
        assert int(row["api_calls"]) == day["api_calls"]
        for member_calls in day["members"]:
            assert int(row[member_calls["email"]]) == member_calls["api_calls"]
        for key_calls in day["api_keys"]:
            assert int(row[f"api key {key_calls['name']}"]) == key_calls["api_calls"]
        callers = [v for k, v in row.items() if k not in ("date", "api_calls")]
        assert sum(int(v) for v in callers) == day["api_calls"]
    assert set(rows[0]) == {
        "date",
        "api_calls",
        "owner@acme.example",
        "member@acme.example",
        "api key CI pipeline",
    }


def test_an_address_cannot_become_a_spreadsheet_formula(cast):
    sneaky = make_member(cast.tenant, "=1+2@acme.example", Role.MEMBER)
    bearer_client(sneaky).get(LATTICES)

    response = bearer_client(cast.member).get(f"{HISTORY}?format=csv")

    header = next(csv.reader(io.StringIO(response.content.decode())))
    assert header == ["date", "api_calls", "'=1+2@acme.example"]


def test_another_tenants_usage_is_never_in_the_answer(cast):
    bearer_client(cast.member).get(LATTICES)

    body = bearer_client(cast.outsider).get(HISTORY).json()

    assert entry_for(body, today())["api_calls"] == 0
    assert body["quota"]["api_calls"]["used"] == 0
    assert bearer_client(cast.member).get(HISTORY).json()["quota"]["api_calls"]["used"] == 1


def test_history_stays_when_the_key_and_the_account_are_deleted(cast):
    program, key_id = key_client(cast)
    program.get(LATTICES)
    bearer_client(cast.member).get(LATTICES)
    member_id = str(cast.member.user.pk)

    ApiKey.objects.filter(pk=key_id).delete()
    cast.member.user.delete()
    day = entry_for(bearer_client(cast.owner).get(HISTORY).json(), today())

    assert day["api_calls"] == 2
    assert day["members"] == [{"user_id": member_id, "email": None, "api_calls": 1}]
    assert day["api_keys"] == [{"api_key_id": key_id, "name": None, "api_calls": 1}]


def test_anonymous_callers_are_refused_in_json_whatever_format_they_ask(anon):
    for response in (anon.get(HISTORY), anon.get(f"{HISTORY}?format=csv")):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"


def test_an_unknown_format_is_a_json_404(cast):
    response = bearer_client(cast.member).get(f"{HISTORY}?format=pdf")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_options_with_format_csv_describes_the_endpoint_in_json(cast):
    response = bearer_client(cast.member).options(f"{HISTORY}?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["name"]
