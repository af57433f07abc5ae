"""The workspace export reads one snapshot (real PostgreSQL, a second connection writing)."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import close_old_connections, connection

from lattices import services
from tests.conftest import caller_for
from workspaces import export

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def in_another_connection(work) -> None:
    """Run `work` in a thread, so on its own database connection, committed when it returns."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 (reported to the test below)
            failures.append(exc)
        finally:
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert not failures, failures


def test_a_write_committed_while_the_export_streams_is_not_in_it(cast, client_for, monkeypatch):
    services.create_lattice(
        caller_for(cast.tenant, cast.owner.user), name="before", dimensions=2, size=4
    )
    monkeypatch.setattr(export, "CHUNK_BYTES", 1)  # one chunk per piece: pause mid-document
    response = client_for(cast.owner).get("/api/tenants/export")
    chunks = iter(response.streaming_content)
    first = next(chunks)  # the header: the tenant's row has been read

    with connection.cursor() as cursor:
        # The export's transaction, still open on this connection between two chunks.
        cursor.execute("SHOW transaction_isolation")
        isolation = cursor.fetchone()[0]
        cursor.execute("SHOW transaction_read_only")
        read_only = cursor.fetchone()[0]
    in_another_connection(
        lambda: services.create_lattice(
            caller_for(cast.tenant, cast.owner.user), name="meanwhile", dimensions=2, size=4
        )
    )
    document = json.loads(first + b"".join(chunks))

    assert [lattice["name"] for lattice in document["lattices"]] == ["before"]
    assert "meanwhile" not in json.dumps(document["audit_log"])
    assert (isolation, read_only) == ("repeatable read", "on")
