"""Query budgets of the hot API endpoints: a regression (an N+1, a lost cache) fails here.

Counts are taken after two earlier requests (the month's usage row exists, an API key's
last use is written). Authentication is one query (the caller confirmed, with its
tenant's status and subscription); the lattice row is another; the metering is one
statement on PostgreSQL (spend, count and day's history) and two on SQLite
(billing.usage). Transaction control (BEGIN, COMMIT, savepoints) is not counted.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import caller_for

pytestmark = pytest.mark.django_db


def metering() -> int:
    # PostgreSQL: one statement. SQLite: the counter's UPDATE ... RETURNING the count,
    # and the upsert of the day's history row.
    return 1 if connection.vendor == "postgresql" else 2


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def warm_then_count(call: Any) -> tuple[Any, list[str]]:
    # The first calls create the month's usage row and write an API key's last use.
    for _ in range(2):
        assert call().status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code == 200, response.content
    sql = [q["sql"] for q in queries.captured_queries]
    return response, [s for s in sql if not s.startswith(TRANSACTION_CONTROL)]


AUTHENTICATION = 1
LATTICE = 1


def test_a_lattice_read_with_a_token_costs_the_metering_and_at_most_two_reads(
    cast, client_for, lattice
):
    client = client_for(cast.member)

    _, sql = warm_then_count(lambda: client.get(f"/api/lattices/{lattice.id}"))

    assert len(sql) == metering() + AUTHENTICATION + LATTICE
    assert sum("usagecounter" in s for s in sql) == 1


def test_a_lattice_read_with_an_api_key_costs_the_same(cast, api_key_client, lattice):
    client, _ = api_key_client("read")
    client.get(f"/api/lattices/{lattice.id}")  # the first use writes last_used_at

    _, sql = warm_then_count(lambda: client.get(f"/api/lattices/{lattice.id}"))

    assert len(sql) == metering() + AUTHENTICATION + LATTICE


def test_listing_lattices_does_not_grow_with_their_number(cast, client_for, lattice):
    from lattices import services

    client = client_for(cast.viewer)
    _, few = warm_then_count(lambda: client.get("/api/lattices"))
    for number in range(2):
        services.create_lattice(
            caller_for(cast.tenant, cast.owner.user), name=f"more {number}", dimensions=2, size=3
        )

    response, many = warm_then_count(lambda: client.get("/api/lattices"))

    assert len(response.json()["results"]) == 3
    # metering, the principal and the page (a first page holding every lattice needs no
    # COUNT)
    assert len(few) == len(many) == metering() + AUTHENTICATION + 1


def test_a_list_longer_than_a_page_is_counted_and_linked(cast, client_for, lattice):
    from lattices import services

    for number in range(4):
        services.create_lattice(
            caller_for(cast.tenant, cast.owner.user), name=f"more {number}", dimensions=2, size=3
        )
    client = client_for(cast.viewer)

    first = client.get("/api/lattices?page_size=2").json()
    last = client.get("/api/lattices?page_size=2&page=3").json()
    whole = client.get("/api/lattices?page_size=5").json()
    exact = client.get("/api/lattices?page_size=6&page=1").json()

    assert first["count"] == last["count"] == whole["count"] == exact["count"] == 5
    assert len(first["results"]) == 2 and first["next"] and first["previous"] is None
    assert len(last["results"]) == 1 and last["next"] is None and last["previous"]
    assert len(whole["results"]) == 5 and whole["next"] is None
    assert len(exact["results"]) == 5 and exact["next"] is None
    ids = {row["id"] for page in (first, last) for row in page["results"]}
    assert len(ids) == 3


# A real request runs in autocommit, not inside the test's transaction: the operation's
# INSERT is then its own transaction, with no savepoint or constraint check around it.
@pytest.mark.django_db(transaction=True)
def test_a_path_costs_metering_and_one_operation_insert(cast, client_for, lattice):
    client = client_for(cast.member)
    body = {"start": [0, 0], "end": [9, 9]}

    response, sql = warm_then_count(
        lambda: client.post(f"/api/lattices/{lattice.id}/path", body, format="json")
    )

    assert response.json()["length"] == 18
    # (SQLite's metering upserts the day's history row with an INSERT of its own.)
    inserts = [s for s in sql if s.startswith("INSERT") and "dailyusage" not in s]
    assert len(inserts) == 1 and "lattices_latticeoperation" in inserts[0]
    # the lattice comes with its tenant and plan (the search budget); the actor is the
    # token's user id, so the user row is not read
    assert len(sql) == metering() + 1 + AUTHENTICATION + LATTICE
    assert not [s for s in sql if s.startswith('SELECT "accounts_user"')]


def test_the_usage_summary_reads_the_counter_and_counts_lattices(cast, client_for, lattice):
    client = client_for(cast.viewer)

    response, sql = warm_then_count(lambda: client.get("/api/tenants/usage"))

    assert response.json()["lattices"]["used"] == 1
    # the month's counter and the lattice count; the plan came with the credential check,
    # so no Tenant row is loaded
    assert len(sql) == 2 + AUTHENTICATION
    assert not [s for s in sql if s.startswith('SELECT "tenants_tenant"')]


def test_the_subscription_status_reads_the_counter_and_the_lattice_count(cast, client_for):
    client = client_for(cast.viewer)

    response, sql = warm_then_count(
        lambda: client.get(f"/api/subscriptions/status/{cast.tenant.id}")
    )

    # the tenant row with its subscription and plan; usage reads the counter and counts
    # the lattices
    assert response.json()["plan"]["code"] == "free"
    assert len(sql) == 3 + AUTHENTICATION
