"""The API's lattice lookup (lattices.lookup) loads exactly what the ORM loads, on the
database in use: the same field values and types, a model that saves like any other,
and nothing for another tenant's lattice or an id that is not one."""

from __future__ import annotations

import uuid

import pytest

from lattices.lookup import tenant_lattice
from lattices.models import Lattice

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("obstacles", [[[3, 3], [3, 4]], None], ids=["explicit", "none"])
def test_it_loads_what_the_orm_loads(cast, make_lattice, obstacles):
    made = make_lattice(size=8, obstacles=obstacles)

    found = tenant_lattice(cast.tenant.id, made.id)

    expected = Lattice.objects.get(pk=made.pk)
    assert found is not None
    for field in Lattice._meta.concrete_fields:
        value, want = getattr(found, field.attname), getattr(expected, field.attname)
        assert value == want, field.name
        assert type(value) is type(want), field.name
    assert found._state.adding is False and found._state.db == expected._state.db


def test_the_loaded_lattice_saves_like_any_other(cast, make_lattice):
    made = make_lattice()
    found = tenant_lattice(str(cast.tenant.id), str(made.id))

    found.name = "renamed"
    found.save(update_fields=["name"])

    assert Lattice.objects.get(pk=made.pk).name == "renamed"


def test_another_tenants_lattice_and_non_ids_are_not_found(cast, make_lattice):
    theirs = make_lattice(tenant=cast.other_tenant)

    assert tenant_lattice(cast.tenant.id, theirs.id) is None
    assert tenant_lattice(cast.tenant.id, uuid.uuid4()) is None
    assert tenant_lattice(cast.tenant.id, "not-an-id") is None
