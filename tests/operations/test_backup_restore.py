"""The backup procedure of docs/deploy.md, run as operators run it: deploy/backup/backup.sh
dumps the database, restore.sh loads the dump into a fresh database, and the tenant, its
plan, its lattices, their operations and its usage are all there."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from billing.models import DailyUsage, Subscription, UsageCounter
from lattices.models import Lattice, LatticeOperation
from tenants.models import Tenant

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "deploy" / "backup"

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def database_url(name: str) -> str:
    """A libpq URL for database `name` on the test database's server and credentials."""
    params = connection.settings_dict
    user = quote(params["USER"] or "", safe="")
    password = f":{quote(params['PASSWORD'], safe='')}" if params["PASSWORD"] else ""
    host = params["HOST"] or "localhost"
    port = f":{params['PORT']}" if params["PORT"] else ""
    return f"postgresql://{user}{password}@{host}{port}/{quote(name, safe='')}"


def tools_matching_the_server() -> None:
    for tool in ("pg_dump", "pg_restore", "psql"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (Debian: postgresql-client)")
    version = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True).stdout
    client_major = int(re.search(r"(\d+)(?:\.\d+)?", version).group(1))
    server_major = connection.cursor().connection.info.server_version // 10000
    if client_major < server_major:
        pytest.skip(f"pg_dump {client_major} cannot dump a PostgreSQL {server_major} server")


@pytest.fixture
def restored_database() -> Any:
    name = f"{connection.settings_dict['NAME']}_restored"
    admin = database_url("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield database_url(name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def run(script: str, *args: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(BACKUP / script), *args],
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": url, "BACKUP_KEEP_DAYS": "14"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def snapshot(query: Any, tenant_id: str) -> dict[str, Any]:
    """What the operator must find again, read with plain SQL on either database."""

    def rows(model: Any, columns: str, order: str) -> list[tuple[Any, ...]]:
        table = model._meta.db_table
        return query(
            f"SELECT {columns} FROM {table} WHERE tenant_id = %s ORDER BY {order}", (tenant_id,)
        )

    return {
        "tenant": query(
            f"SELECT name, slug, status, billing_email FROM {Tenant._meta.db_table} WHERE id = %s",
            (tenant_id,),
        ),
        "plan": query(
            f"SELECT p.code, s.status FROM {Subscription._meta.db_table} s "
            "JOIN billing_plan p ON p.id = s.plan_id WHERE s.tenant_id = %s",
            (tenant_id,),
        ),
        "lattices": rows(Lattice, "id, name, dimensions, size, obstacles::text", "name"),
        "operations": rows(LatticeOperation, "lattice_id, status", "created_at"),
        "usage": rows(UsageCounter, "period_start, api_calls", "period_start"),
        "daily": rows(DailyUsage, "day, who, calls", "day, who"),
    }


def test_a_dump_restored_into_a_fresh_database_holds_the_tenant_intact(
    cast: Any, client_for: Any, tmp_path: Path, restored_database: str
) -> None:
    tools_matching_the_server()
    owner = client_for(cast.owner)
    made = [
        owner.post("/api/lattices", {"name": "grid", "dimensions": 2, "size": 8}, format="json"),
        owner.post(
            "/api/lattices",
            {"name": "cube", "dimensions": 3, "size": 5, "obstacles": [[1, 1, 1], [2, 2, 2]]},
            format="json",
        ),
    ]
    assert [response.status_code for response in made] == [201, 201]
    for response in made:
        lattice = response.json()["id"]
        end = [3] * response.json()["dimensions"]
        path = owner.post(
            f"/api/lattices/{lattice}/path", {"start": [0] * len(end), "end": end}, format="json"
        )
        assert path.status_code == 200, path.content

    tenant_id = str(cast.tenant.pk)

    def live(text: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(text, params)
            return cursor.fetchall()

    before = snapshot(live, tenant_id)
    assert len(before["lattices"]) == 2
    assert len(before["operations"]) == 2
    assert before["usage"][0][1] == 4  # two creations and two paths, all metered
    assert before["plan"] == [("free", "active")]

    # The app's own URL, with parameters only dj-database-url understands.
    app_url = database_url(connection.settings_dict["NAME"]) + "?conn_max_age=600&sslmode=disable"
    dumped = run("backup.sh", str(tmp_path), url=app_url)
    assert dumped.returncode == 0, dumped.stderr
    dump = Path(dumped.stdout.strip())
    assert dump.parent == tmp_path and dump.name.startswith("catalytic-") and dump.stat().st_size

    restored = run("restore.sh", str(dump), url=f"{restored_database}?conn_max_age=600")
    assert restored.returncode == 0, restored.stderr

    with psycopg.connect(restored_database) as conn:

        def copy(text: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
            return conn.execute(text, params).fetchall()

        assert snapshot(copy, tenant_id) == before
        # The whole database came back, not just this tenant: every table, every row.
        for table in ("tenants_tenant", "accounts_user", "tenants_membership", "billing_plan"):
            assert copy(f"SELECT count(*) FROM {table}", ()) == live(
                f"SELECT count(*) FROM {table}", ()
            )

    # A second restore into the now-filled database is refused, not merged.
    again = run("restore.sh", str(dump), url=restored_database)
    assert again.returncode != 0
    assert "already has" in again.stderr
