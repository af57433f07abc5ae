"""The service layer the API and the pages share: storage round trips and its own guards."""

from __future__ import annotations

import itertools
import uuid

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalytic.errors import ServiceError
from lattices import engine, operations, services
from lattices.exceptions import TenantSuspended
from lattices.models import _ENGINE_CACHE, Lattice, LatticeOperation
from tests.conftest import caller_for

pytestmark = pytest.mark.django_db

SEEDS = st.integers(min_value=-(2**63), max_value=2**64 - 1)


@st.composite
def lattice_specs(draw: st.DrawFn) -> tuple[int, int, object]:
    d = draw(st.integers(1, 3))
    n = draw(st.integers(2, 6))
    kind = draw(st.sampled_from(["none", "explicit", "density"]))
    if kind == "explicit":
        coord = st.lists(st.integers(0, n - 1), min_size=d, max_size=d)
        return d, n, draw(st.lists(coord, max_size=n**d // 2))
    if kind == "density":
        return d, n, {"density": draw(st.floats(0.0, 0.6)), "seed": draw(SEEDS)}
    return d, n, None


def grid_graph(d: int, n: int) -> nx.Graph:
    graph = nx.Graph()
    for p in itertools.product(range(n), repeat=d):
        graph.add_node(p)
        for axis in range(d):
            if p[axis] + 1 < n:
                graph.add_edge(p, p[:axis] + (p[axis] + 1,) + p[axis + 1 :])
    return graph


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=lattice_specs(), data=st.data())
def test_a_stored_lattice_answers_like_networkx_on_the_original(cast, set_plan, spec, data):
    """Obstacles survive the database (JSON floats, 64-bit seeds) and paths stay exact."""
    set_plan(cast.tenant, "enterprise")
    d, n, obstacles = spec
    original = engine.Lattice(d, n, obstacles)
    created = services.create_lattice(
        caller_for(cast.tenant, cast.owner.user),
        name="p",
        dimensions=d,
        size=n,
        obstacles=obstacles,
    )
    try:
        _ENGINE_CACHE.clear()
        stored = Lattice.objects.get(pk=created.pk)  # fresh from the database
        points = list(itertools.product(range(n), repeat=d))
        blocked = {p for p in points if original.is_blocked(p)}
        assert {p for p in points if stored.engine().is_blocked(p)} == blocked
        free = [p for p in points if p not in blocked]
        if len(free) < 2:
            return
        start = data.draw(st.sampled_from(free))
        end = data.draw(st.sampled_from(free))

        outcome = operations.find_path(
            caller_for(cast.tenant, cast.owner.user), lattice=stored, start=start, end=end
        )

        graph = grid_graph(d, n)
        graph.remove_nodes_from(blocked)
        try:
            expected = nx.shortest_path_length(graph, start, end)
        except nx.NetworkXNoPath:
            expected = None
        assert outcome.data["length"] == expected
        assert outcome.data["reachable"] is (expected is not None)
    finally:
        Lattice.objects.filter(pk=created.pk).delete()


def test_operations_by_api_key_record_the_key_not_a_user(cast, make_lattice):
    lattice = make_lattice()
    key_id = uuid.uuid4()

    outcome = operations.count_neighbors(
        caller_for(cast.tenant, api_key_id=key_id), lattice=lattice, point=[0, 0], radius=1
    )

    operation = LatticeOperation.objects.get(pk=outcome.operation.pk)
    assert operation.actor is None and operation.api_key_id == key_id


def test_services_refuse_another_tenants_lattice(cast, make_lattice):
    theirs = make_lattice(tenant=cast.other_tenant)

    with pytest.raises(ServiceError) as refused:
        operations.find_path(
            caller_for(cast.tenant, cast.owner.user), lattice=theirs, start=[0, 0], end=[1, 1]
        )
    assert refused.value.status == 404
    with pytest.raises(ServiceError):
        services.delete_lattice(caller_for(cast.tenant, cast.owner.user), lattice=theirs)
    assert Lattice.objects.filter(pk=theirs.pk).exists()
    assert not LatticeOperation.objects.exists()


def test_services_refuse_a_suspended_tenant(cast, make_lattice):
    lattice = make_lattice()
    cast.tenant.status = "suspended"
    cast.tenant.save()

    with pytest.raises(TenantSuspended):
        services.create_lattice(
            caller_for(cast.tenant, cast.owner.user), name="x", dimensions=2, size=5
        )
    with pytest.raises(TenantSuspended):
        operations.find_path(
            caller_for(cast.tenant, cast.owner.user), lattice=lattice, start=[0, 0], end=[1, 1]
        )
