"""A lattice deleted while an operation ran: the operation's record goes with it, quietly,
whether the request runs in autocommit (as in production) or inside a transaction."""

from __future__ import annotations

import pytest
from django.db import transaction

from lattices import services
from lattices.models import Lattice, LatticeOperation
from lattices.operations import record_operation
from tests.conftest import caller_for


def run_on_deleted_lattice(cast) -> LatticeOperation:
    lattice = services.create_lattice(
        caller_for(cast.tenant, cast.owner.user), name="gone", dimensions=2, size=4
    )
    Lattice.objects.filter(pk=lattice.pk).delete()
    return record_operation(
        caller_for(cast.tenant, cast.owner.user),
        lattice=lattice,
        kind=LatticeOperation.Kind.PATH,
        parameters={"start": [0, 0], "end": [3, 3]},
    )


@pytest.mark.django_db(transaction=True)
def test_in_autocommit_the_record_is_dropped_and_the_connection_still_works(cast):
    operation = run_on_deleted_lattice(cast)

    assert not LatticeOperation.objects.filter(pk=operation.pk).exists()
    assert Lattice.objects.filter(tenant=cast.tenant).count() == 0


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_the_rest_of_it_survives(cast):
    with transaction.atomic():
        operation = run_on_deleted_lattice(cast)
        kept = services.create_lattice(
            caller_for(cast.tenant, cast.owner.user), name="kept", dimensions=2, size=3
        )

    assert not LatticeOperation.objects.filter(pk=operation.pk).exists()
    assert Lattice.objects.filter(pk=kept.pk).exists()
