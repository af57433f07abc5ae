"""On PostgreSQL the statements every API request runs are prepared once per connection
(psycopg's `prepare_threshold`, which Django leaves off unless OPTIONS asks): PostgreSQL
parses and plans the credential check, the metering and the lattice lookup once, then
only executes them. Without it, planning the credential check's join cost PostgreSQL
more CPU than running it (docs/performance.md)."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL's prepared statements"
    ),
]

REQUESTS = 10


def prepared_runs() -> dict[str, int]:
    """Each statement prepared on this connection: how many times it ran as prepared."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        return dict(cursor.fetchall())


def runs_of(prepared: dict[str, int], table: str) -> int:
    return sum(runs for statement, runs in prepared.items() if table in statement)


def test_the_request_paths_statements_run_prepared(cast, client_for, lattice):
    client = client_for(cast.member)

    for _ in range(REQUESTS):
        assert client.get(f"/api/lattices/{lattice.id}").status_code == 200

    prepared = prepared_runs()
    # psycopg prepares a statement on the run after its fifth.
    for table in ("accounts_tokenfamily", "billing_usagecounter", "lattices_lattice"):
        assert runs_of(prepared, table) >= REQUESTS - 5 - 1, (table, prepared)
