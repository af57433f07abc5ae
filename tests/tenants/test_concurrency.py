"""Races that only a real database can show: the tenant row lock keeps one owner."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from catalytic.errors import ServiceError
from tenants.models import Membership, Role
from tenants.services import remove_member, update_member
from tests.conftest import make_member


def race(*actions: Callable[[], None]) -> list[str]:
    """Run the actions at the same moment in threads; their outcomes, sorted."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = []

    def run(action: Callable[[], None]) -> None:
        try:
            barrier.wait(timeout=5)
            action()
            outcomes.append("done")
        except ServiceError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=15)
    return sorted(outcomes)


def owners(tenant) -> int:
    return Membership.objects.filter(tenant=tenant, role=Role.OWNER, is_active=True).count()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_owners_removing_each_other_at_once_leave_one_owner(cast):
    # One test for both races: each transactional test pays for a full flush.
    second = make_member(cast.tenant, "owner2@acme.example", Role.OWNER)

    def demote(actor: Membership, target: Membership) -> Callable[[], None]:
        return lambda: update_member(
            tenant=cast.tenant,
            actor=actor.user,
            actor_role=Role.OWNER,
            membership=target,
            role=Role.ADMIN,
        )

    assert race(demote(cast.owner, second), demote(second, cast.owner)) == ["done", "last_owner"]
    assert owners(cast.tenant) == 1

    Membership.objects.filter(pk__in=[cast.owner.pk, second.pk]).update(role=Role.OWNER)

    def remove(actor: Membership, target: Membership) -> Callable[[], None]:
        return lambda: remove_member(
            tenant=cast.tenant, actor=actor.user, actor_role=Role.OWNER, membership=target
        )

    assert race(remove(cast.owner, second), remove(second, cast.owner)) == ["done", "last_owner"]
    assert owners(cast.tenant) == 1
