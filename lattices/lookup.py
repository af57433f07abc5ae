"""A lattice by id within a tenant: the API's most frequent read, as SQL written once.

Every call of `/api/lattices/{id}...` starts here. Compiling the same two-condition
SELECT through the ORM's query tree on every request cost twice what running it does,
so the statement is built once per process from the model's metadata and run through
`Manager.raw()`, which still applies each field's conversions (UUIDs and dates on
SQLite, JSON everywhere) and returns a Lattice like any query.
"""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

from django.db import connections

from lattices.models import Lattice


@cache
def _statement(alias: str) -> str:
    quote = connections[alias].ops.quote_name
    meta = Lattice._meta
    columns = ", ".join(quote(field.column) for field in meta.concrete_fields)
    tenant = meta.get_field("tenant").column
    # Names from the model's metadata, quoted; the values are parameters.
    return (
        f"SELECT {columns} FROM {quote(meta.db_table)} "  # noqa: S608
        f"WHERE {quote(meta.pk.column)} = %s AND {quote(tenant)} = %s"
    )


def tenant_lattice(tenant_id: Any, lattice_id: Any) -> Lattice | None:
    """The tenant's lattice with this id; None when it has none (or `lattice_id` is not
    an id at all): another tenant's lattice is as missing as one that never existed."""
    try:
        lattice_id = uuid.UUID(str(lattice_id))
    except ValueError:
        return None
    manager = Lattice.objects
    connection = connections[manager.db]
    meta = Lattice._meta
    params = [
        meta.pk.get_db_prep_value(lattice_id, connection),
        meta.get_field("tenant").get_db_prep_value(tenant_id, connection),
    ]
    return next(iter(manager.raw(_statement(manager.db), params)), None)
