"""A lattice by id within a tenant: the API's most frequent read, as SQL written once.

Every call of `/api/lattices/{id}...` starts here. Compiling the same two-condition
SELECT through the ORM's query tree on every request cost twice what running it does, so
the statement is built once per process from the model's metadata.

On PostgreSQL psycopg returns every column of a Lattice as the Python type its field
holds, so the row becomes a model the way Django documents it loads one: each field's
`from_db_value` (JSON decoding), then `Model.from_db`. Elsewhere (SQLite on a laptop,
which stores UUIDs and dates as text) the statement runs through `Manager.raw()`, which
applies the database's own conversions too. `tests/lattices/test_lookup.py` holds both to
what the ORM loads.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import cache
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

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


Converter = Callable[[Any, Any, Any], Any]


@cache
def _loading() -> tuple[list[str], list[tuple[int, Converter]]]:
    """The statement's columns as attribute names, and the fields' own conversions."""
    fields = Lattice._meta.concrete_fields
    converters = [
        (position, field.from_db_value)
        for position, field in enumerate(fields)
        if hasattr(field, "from_db_value")
    ]
    return [field.attname for field in fields], converters


def _from_row(connection: BaseDatabaseWrapper, row: tuple[Any, ...]) -> Lattice:
    names, converters = _loading()
    values = list(row)
    for position, convert in converters:
        values[position] = convert(values[position], None, connection)
    return Lattice.from_db(connection.alias, names, values)


def tenant_lattice(tenant_id: Any, lattice_id: Any) -> Lattice | None:
    """The tenant's lattice with this id; None when it has none (or `lattice_id` is not
    an id at all): another tenant's lattice is as missing as one that never existed."""
    try:
        lattice_id = uuid.UUID(str(lattice_id))
    except ValueError:
        return None
    manager = Lattice.objects
    alias = manager.db
    connection = connections[alias]
    meta = Lattice._meta
    params = [
        meta.pk.get_db_prep_value(lattice_id, connection),
        meta.get_field("tenant").get_db_prep_value(tenant_id, connection),
    ]
    if connection.vendor != "postgresql":
        return next(iter(manager.raw(_statement(alias), params)), None)
    with connection.cursor() as cursor:
        cursor.execute(_statement(alias), params)
        row = cursor.fetchone()
    return None if row is None else _from_row(connection, row)
