"""Property and example tests for the pure-Python lattice engine (no Django, no database)."""

from __future__ import annotations

import hashlib
import itertools
import math
from fractions import Fraction
from unittest import mock

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lattices.engine import (
    MAX_XOR_BYTES,
    DataTooLarge,
    InvalidLattice,
    InvalidPoint,
    Lattice,
    LatticeError,
    SearchBudgetExceeded,
    TransformError,
    density_hash,
    density_hash_points,
    density_hash_region,
    lattice_counts,
    neighbor_count,
    rotate,
    rotate_inverse,
    scale,
    xor,
)
from lattices.engine import paths as engine_paths

PROPS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEEDS = st.integers(min_value=-(2**63), max_value=2**64 - 1)
# "astar-no-probe" disables the BFS probe from the end point, which on small lattices would
# otherwise answer every query before A* proper runs.
STRATEGIES = st.sampled_from(["auto", "grid", "astar", "astar-no-probe"])


# ---------------------------------------------------------------------------------------------
# helpers


@st.composite
def small_lattices(draw: st.DrawFn, max_dimensions: int = 3, max_size: int = 8) -> Lattice:
    d = draw(st.integers(1, max_dimensions))
    n = draw(st.integers(2, max_size))
    kind = draw(st.sampled_from(["none", "explicit", "density"]))
    if kind == "explicit":
        coord = st.lists(st.integers(0, n - 1), min_size=d, max_size=d)
        obstacles = draw(st.lists(coord, max_size=max(1, n**d // 2)))
    elif kind == "density":
        obstacles = {"density": draw(st.floats(0.0, 0.6)), "seed": draw(SEEDS)}
    else:
        obstacles = None
    return Lattice(d, n, obstacles)


def all_points(lattice: Lattice) -> list[tuple[int, ...]]:
    return list(itertools.product(range(lattice.size), repeat=lattice.dimensions))


def free_points(lattice: Lattice) -> list[tuple[int, ...]]:
    return [p for p in all_points(lattice) if not lattice.is_blocked(p)]


def reference_graph(lattice: Lattice) -> nx.Graph:
    """The lattice graph minus blocked points, built by brute force for networkx."""
    graph = nx.Graph()
    free = set(free_points(lattice))
    graph.add_nodes_from(free)
    for p in free:
        for axis in range(lattice.dimensions):
            q = p[:axis] + (p[axis] + 1,) + p[axis + 1 :]
            if q in free:
                graph.add_edge(p, q)
    return graph


def assert_valid_walk(lattice: Lattice, path: list[list[int]], start, end) -> None:
    assert path[0] == list(start)
    assert path[-1] == list(end)
    for point in path:
        assert len(point) == lattice.dimensions
        assert all(0 <= c < lattice.size for c in point)
        assert not lattice.is_blocked(point)
    for a, b in itertools.pairwise(path):
        assert sum(abs(x - y) for x, y in zip(a, b, strict=True)) == 1


def run_path(lattice: Lattice, start, end, strategy: str):
    if strategy != "astar-no-probe":
        return lattice.path(start, end, strategy=strategy)
    with mock.patch.object(engine_paths, "END_PROBE_LIMIT", 1):
        result = lattice.path(start, end, strategy="astar")
    # Unobstructed lattices need no search; a probe limited to one point can only answer when
    # start is end's first free neighbour or end has no free neighbour at all. Everything else
    # must have gone through A*.
    distance = sum(abs(a - b) for a, b in zip(start, end, strict=True))
    probe_may_answer = distance <= 1 or not result.reachable
    assert result.method == "astar" or probe_may_answer or not lattice.obstructed
    return result


@st.composite
def lattice_and_endpoints(draw: st.DrawFn):
    lattice = draw(small_lattices())
    free = free_points(lattice)
    assume(free)
    start = draw(st.sampled_from(free))
    end = draw(st.sampled_from(free))
    return lattice, start, end


# ---------------------------------------------------------------------------------------------
# paths


@PROPS
@given(case=lattice_and_endpoints(), strategy=STRATEGIES)
def test_it_finds_same_length_as_networkx(case, strategy) -> None:
    lattice, start, end = case
    result = run_path(lattice, list(start), list(end), strategy)
    try:
        expected = nx.shortest_path_length(reference_graph(lattice), start, end)
    except nx.NetworkXNoPath:
        expected = None
    assert result.reachable is (expected is not None)
    assert result.length == expected
    if expected is None:
        assert result.path == []


@PROPS
@given(case=lattice_and_endpoints(), strategy=STRATEGIES)
def test_every_path_is_a_valid_unit_step_walk_avoiding_obstacles(case, strategy) -> None:
    lattice, start, end = case
    result = run_path(lattice, start, end, strategy)
    assume(result.reachable)
    assert result.length == len(result.path) - 1
    assert result.explored >= 1
    assert_valid_walk(lattice, result.path, start, end)


def test_it_leaves_the_initial_search_box_when_the_detour_requires_it() -> None:
    # A wall at x=25 with a single gap at the far edge forces a detour far outside the box the
    # grid search starts with around (20, 25)-(30, 25).
    wall = [[25, y] for y in range(49)]
    lattice = Lattice(2, 50, wall)
    result = lattice.path([20, 25], [30, 25])
    expected = nx.shortest_path_length(reference_graph(lattice), (20, 25), (30, 25))
    assert result.length == expected == 10 + 2 * 24
    assert_valid_walk(lattice, result.path, (20, 25), (30, 25))


def test_unobstructed_path_is_built_axis_by_axis_in_ten_dimensions() -> None:
    lattice = Lattice(10, 100)
    start, end = [0] * 10, [99, 0, 50, 99, 3, 99, 0, 99, 99, 1]
    result = lattice.path(start, end)
    assert result.reachable and result.method == "direct"
    assert result.length == sum(end)
    assert_valid_walk(lattice, result.path, start, end)


def test_it_finds_obstructed_paths_in_huge_lattices_with_astar() -> None:
    lattice = Lattice(10, 1000, {"density": 0.3, "seed": 11})
    start = next(p for p in itertools.product(range(3), repeat=10) if not lattice.is_blocked(p))
    end = next(p for p in itertools.product(range(60, 63), repeat=10) if not lattice.is_blocked(p))
    result = lattice.path(start, end, budget=200_000)
    assert result.method == "astar" and result.reachable
    assert result.length >= sum(abs(a - b) for a, b in zip(start, end, strict=True))
    assert_valid_walk(lattice, result.path, start, end)


def test_it_reports_an_enclosed_end_as_unreachable_without_flooding_a_huge_lattice() -> None:
    corner = [0] * 10
    walls = [[1 if i == axis else 0 for i in range(10)] for axis in range(10)]
    lattice = Lattice(10, 1000, walls)
    result = lattice.path([500] * 10, corner, budget=10_000, strategy="astar")
    assert not result.reachable and result.length is None and result.path == []
    assert result.method == "probe-bfs" and result.explored < 100
    # "auto" first walks the straight 5000-step path (counted as explored) before probing.
    result = lattice.path([500] * 10, corner, budget=10_000)
    assert not result.reachable and result.explored < 5000 + 100
    # And an enclosed start is exhausted immediately by A* itself.
    result = lattice.path(corner, [500] * 10, budget=10_000)
    assert not result.reachable


@pytest.mark.parametrize("strategy", ["auto", "grid", "astar"])
def test_search_budget_exceeded_raises_with_counts(strategy) -> None:
    lattice = Lattice(2, 200, {"density": 0.3, "seed": 1})
    free = [p for p in ((0, 0), (0, 1), (1, 0), (1, 1)) if not lattice.is_blocked(p)]
    far = [p for p in ((199, 199), (199, 198), (198, 199)) if not lattice.is_blocked(p)]
    with pytest.raises(SearchBudgetExceeded) as info:
        lattice.path(free[0], far[0], budget=500, strategy=strategy)
    assert info.value.budget == 500
    assert info.value.explored > 500
    assert "budget" in str(info.value)


def test_invalid_endpoints_raise_invalid_point_with_clear_messages() -> None:
    lattice = Lattice(3, 50, [[1, 1, 1]])
    with pytest.raises(InvalidPoint, match=r"^end\[2\]=57 is outside 0\.\.49$"):
        lattice.path([0, 0, 0], [0, 0, 57])
    with pytest.raises(InvalidPoint, match=r"^start\[0\]=-1 is outside 0\.\.49$"):
        lattice.path([-1, 0, 0], [0, 0, 1])
    with pytest.raises(InvalidPoint, match="start must have 3 coordinates"):
        lattice.path([0, 0], [0, 0, 1])
    with pytest.raises(InvalidPoint, match=r"end\[1\]=1\.5 is not an integer"):
        lattice.path([0, 0, 0], [0, 1.5, 1])
    with pytest.raises(InvalidPoint, match="^start is blocked$"):
        lattice.path([1, 1, 1], [0, 0, 0])
    with pytest.raises(InvalidPoint, match="^end is blocked$"):
        lattice.path([0, 0, 0], [1, 1, 1])
    assert issubclass(InvalidPoint, LatticeError)
    assert not issubclass(SearchBudgetExceeded, LatticeError)  # 422, not 400


# ---------------------------------------------------------------------------------------------
# counts, validation, obstacles


def test_ten_dimensional_counts_are_exact_integers() -> None:
    counts = Lattice(10, 100).counts()
    assert counts.vertices == 10**20
    assert counts.edges == 10 * 100**9 * 99
    assert counts.diameter == 990
    assert (counts.max_degree, counts.min_degree) == (20, 10)
    assert counts.adjacency_list_bytes == 8 * (10**20 + 1 + 2 * counts.edges)
    assert counts.engine_bytes == 0
    assert Lattice(10, 100, {"density": 0.3, "seed": 1}).counts().engine_bytes == 16
    assert Lattice(3, 10, [[0, 0, 0], [1, 1, 1]]).counts().engine_bytes == 2 * 3 * 8


@pytest.mark.parametrize(("d", "n"), [(1, 2), (1, 7), (2, 2), (2, 5), (3, 3), (3, 4), (4, 3)])
def test_counts_match_the_materialised_graph(d, n) -> None:
    graph = nx.grid_graph(dim=[n] * d)
    counts = lattice_counts(d, n)
    degrees = [deg for _, deg in graph.degree()]
    assert counts.vertices == graph.number_of_nodes()
    assert counts.edges == graph.number_of_edges()
    assert counts.diameter == nx.diameter(graph)
    assert (counts.max_degree, counts.min_degree) == (max(degrees), min(degrees))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 5), "dimensions=0 is outside 1..10"),
        ((11, 5), "dimensions=11 is outside 1..10"),
        ((2, 1), "size=1 is outside 2..1000"),
        ((2, 1001), "size=1001 is outside 2..1000"),
        ((True, 5), "dimensions must be an integer"),
        ((2, 5, [[0, 5]]), r"obstacles\[0\]\[1\]=5 is outside 0..4"),
        ((2, 5, [[0]]), r"obstacles\[0\] must have 2 coordinates"),
        ((2, 5, {"density": 1.0, "seed": 1}), r"density=1.0 is outside \[0, 1\)"),
        ((2, 5, {"density": -0.1, "seed": 1}), "outside"),
        ((2, 5, {"density": float("nan"), "seed": 1}), "outside"),
        ((2, 5, {"density": 0.5, "seed": 1.5}), "seed must be an integer"),
        ((2, 5, {"density": 0.5}), "need both"),
        ((2, 5, {"density": 0.5, "seed": 1, "x": 2}), "unknown obstacle keys: x"),
        ((2, 5, "nope"), "obstacles must be a list"),
    ],
)
def test_invalid_lattices_raise_lattice_errors(args, message) -> None:
    with pytest.raises(InvalidLattice, match=message):
        Lattice(*args)


def test_explicit_obstacle_lists_are_capped_at_ten_thousand() -> None:
    points = [[x, y] for x in range(101) for y in range(100)]
    with pytest.raises(InvalidLattice, match="at most 10000"):
        Lattice(2, 1000, points)
    assert Lattice(2, 1000, points[:10_000]).is_blocked([99, 99])


def test_lattice_is_a_hashable_value_object() -> None:
    a = Lattice(2, 10, [[1, 2], [1, 2], [3, 4]])
    b = Lattice(2, 10, [[3, 4], [1, 2]])
    assert a == b and hash(a) == hash(b)
    assert a.obstacle_spec() == [[1, 2], [3, 4]]
    assert Lattice(2, 10, a.obstacles) == a


@PROPS
@given(
    seed=SEEDS,
    density=st.floats(0.0, 0.99),
    d=st.integers(1, 3),
    n=st.integers(2, 9),
)
def test_density_hash_is_identical_in_scalar_and_vectorised_paths(seed, density, d, n) -> None:
    lattice = Lattice(d, n, {"density": density, "seed": seed})
    mask = lattice.blocked_mask()
    hashes = density_hash_region(seed, (0,) * d, (n - 1,) * d)
    points = all_points(lattice)
    by_points = density_hash_points(seed, np.array(points, dtype=np.int64))
    for i, p in enumerate(points):
        assert int(hashes[p]) == int(by_points[i]) == density_hash(seed, p)
        assert bool(mask[p]) == lattice.is_blocked(p) == (density_hash(seed, p) / 2**64 < density)


def test_density_hash_agrees_on_huge_lattices_and_sub_regions() -> None:
    rng = np.random.default_rng(0)
    seed = 2**64 - 12345
    points = rng.integers(0, 1000, size=(500, 10))
    vector = density_hash_points(seed, points)
    assert [int(h) for h in vector] == [density_hash(seed, p) for p in points.tolist()]
    lattice = Lattice(3, 1000, {"density": 0.3, "seed": 99})
    lo, hi = (400, 17, 998), (420, 40, 999)
    mask = lattice.blocked_mask(lo, hi)
    for p in itertools.product(*(range(a, b + 1) for a, b in zip(lo, hi, strict=True))):
        offset = tuple(c - a for c, a in zip(p, lo, strict=True))
        assert bool(mask[offset]) == lattice.is_blocked(p)


def test_density_blocks_about_the_requested_fraction() -> None:
    mask = Lattice(2, 1000, {"density": 0.3, "seed": 5}).blocked_mask()
    assert abs(mask.mean() - 0.3) < 0.005
    assert not Lattice(2, 1000, {"density": 0.0, "seed": 5}).blocked_mask().any()


# ---------------------------------------------------------------------------------------------
# neighbours


@PROPS
@given(lattice=small_lattices(max_dimensions=4, max_size=6), data=st.data())
def test_neighbor_counts_equal_brute_force_enumeration(lattice, data) -> None:
    point = data.draw(st.sampled_from(all_points(lattice)))
    radius = data.draw(st.integers(0, lattice.dimensions * lattice.size + 2))
    within = [
        list(q)
        for q in all_points(lattice)
        if sum(abs(a - b) for a, b in zip(q, point, strict=True)) <= radius
    ]
    result = lattice.neighbors(list(point), radius)
    assert result.count == len(within)
    if result.count <= 1000:
        assert result.points == sorted(within)
        assert result.blocked == sum(lattice.is_blocked(q) for q in within)
    else:
        assert result.points is None and result.blocked is None


def test_neighbor_counts_stay_exact_when_astronomically_large() -> None:
    assert neighbor_count([0] * 10, 1000, 10**9) == 1000**10
    assert neighbor_count([500] * 10, 1000, 9990) == 1000**10
    # Interior point, radius 1: the point plus 2 per axis.
    assert Lattice(10, 1000).neighbors([500] * 10, 1).count == 21
    # Radius r in the unbounded Z^d: sum_k 2^k C(d,k) C(r,k); here nothing reaches a boundary.
    r = 400
    expected = sum(2**k * math.comb(10, k) * math.comb(r, k) for k in range(11))
    result = Lattice(10, 1000).neighbors([500] * 10, r)
    assert result.count == expected and result.points is None


def test_neighbors_rejects_negative_radius() -> None:
    with pytest.raises(LatticeError, match="radius must be a non-negative integer"):
        Lattice(2, 5).neighbors([0, 0], -1)


# ---------------------------------------------------------------------------------------------
# transforms: xor


@settings(max_examples=30, deadline=None)
@given(data=st.binary(max_size=4096), key=st.text(min_size=1, max_size=20))
def test_xor_round_trips_and_restores_the_aux_buffer(data, key) -> None:
    aux = bytearray(np.random.default_rng(len(data)).bytes(64 * 1024))
    original = hashlib.sha256(aux).hexdigest()
    once = xor(data, key, aux=aux)
    assert once.aux_sha256_before == once.aux_sha256_after == original
    assert once.aux_restored
    assert hashlib.sha256(aux).hexdigest() == original
    twice = xor(once.output, key, aux=aux)
    assert twice.output == data
    if data:
        assert once.output != data or len(data) < 4  # a short stream may coincide by chance


def test_xor_aux_digest_check_detects_a_modified_buffer() -> None:
    aux = bytearray(np.random.default_rng(1).bytes(1 << 16))
    result = xor(b"hello catalytic world", "k", aux=aux)
    assert result.aux_sha256_after == hashlib.sha256(aux).hexdigest()
    aux[result.aux_offset] ^= 1  # what a buggy, non-restoring algorithm would leave behind
    assert hashlib.sha256(aux).hexdigest() != result.aux_sha256_after


def test_xor_default_aux_is_four_mib_and_output_is_key_dependent() -> None:
    data = bytes(range(256)) * 64
    a, b = xor(data, "alpha"), xor(data, "beta")
    assert a.aux_size == 4 << 20 and a.aux_restored and b.aux_restored
    assert a.output != b.output
    assert xor(a.output, "alpha").output == data


def test_xor_rejects_payloads_over_one_mib_and_bad_keys() -> None:
    assert len(xor(bytes(MAX_XOR_BYTES), "k").output) == MAX_XOR_BYTES
    with pytest.raises(DataTooLarge, match="limit is 1048576 bytes"):
        xor(bytes(MAX_XOR_BYTES + 1), "k")
    with pytest.raises(TransformError, match="key must be a non-empty string"):
        xor(b"x", "")
    with pytest.raises(TransformError, match="aux_size"):
        xor(b"xyz", "k", aux_size=2)


# ---------------------------------------------------------------------------------------------
# transforms: rotate, scale


@st.composite
def rotation_cases(draw: st.DrawFn):
    d = draw(st.integers(2, 4))
    n = draw(st.integers(2, 7))
    i, j = draw(st.lists(st.integers(0, d - 1), min_size=2, max_size=2, unique=True))
    k = draw(st.integers(-9, 9))
    return d, n, (i, j), k


@PROPS
@given(case=rotation_cases())
def test_four_quarter_turns_are_the_identity_and_inverse_undoes(case) -> None:
    d, n, axes, k = case
    points = [list(p) for p in itertools.product(range(n), repeat=d)]
    turned = points
    for _ in range(4):
        turned = rotate(turned, axes, 1, n)
    assert turned == points
    assert rotate_inverse(rotate(points, axes, k, n), axes, k, n) == points
    assert rotate(points, axes, k + 4, n) == rotate(points, axes, k, n)


@PROPS
@given(case=rotation_cases())
def test_rotation_is_an_automorphism_of_the_bounded_lattice(case) -> None:
    d, n, axes, k = case
    points = [list(p) for p in itertools.product(range(n), repeat=d)]
    image = rotate(points, axes, k, n)
    assert all(0 <= c < n for p in image for c in p)
    assert sorted(image) == points  # a bijection onto the lattice
    mapping = {tuple(p): tuple(q) for p, q in zip(points, image, strict=True)}
    graph = nx.grid_graph(dim=[n] * d)
    for a, b in graph.edges():
        fa, fb = mapping[a], mapping[b]
        assert sum(abs(x - y) for x, y in zip(fa, fb, strict=True)) == 1


def test_rotate_validates_axes_and_points() -> None:
    with pytest.raises(TransformError, match="axes must be distinct"):
        rotate([[0, 0]], (1, 1), 1, 5)
    with pytest.raises(TransformError, match="axis 2 is outside 0..1"):
        rotate([[0, 0]], (0, 2), 1, 5)
    with pytest.raises(InvalidPoint, match=r"points\[1\]\[0\]=5 is outside 0..4"):
        rotate([[0, 0], [5, 0]], (0, 1), 1, 5)
    assert rotate([[0, 0]], (0, 1), 1, 5) == [[4, 0]]


@PROPS
@given(
    from_size=st.integers(2, 1000),
    to_size=st.integers(2, 1000),
    xs=st.lists(st.integers(0, 999), min_size=1, max_size=30),
)
def test_scale_preserves_endpoints_is_monotone_and_rounds_half_up(from_size, to_size, xs) -> None:
    xs = sorted(x % from_size for x in xs)
    ends = scale([[0], [from_size - 1]], from_size, to_size)
    assert ends == [[0], [to_size - 1]]
    mapped = [p[0] for p in scale([[x] for x in xs], from_size, to_size)]
    assert mapped == sorted(mapped)
    assert all(0 <= y < to_size for y in mapped)
    for x, y in zip(xs, mapped, strict=True):
        exact = Fraction(x * (to_size - 1), from_size - 1)
        assert y == math.floor(exact + Fraction(1, 2))


def test_scale_validates_sizes() -> None:
    with pytest.raises(TransformError, match="from_size=1 is outside 2..1000"):
        scale([[0]], 1, 10)
    with pytest.raises(InvalidPoint, match=r"points\[0\]\[0\]=10 is outside 0..9"):
        scale([[10]], 10, 20)


def test_it_stops_a_search_that_runs_past_its_deadline():
    import time

    from lattices.engine import Lattice as EngineLattice
    from lattices.engine import SearchBudgetExceeded as Exceeded

    # A wall across the whole lattice: proving "unreachable" means exploring one
    # side completely, far more than 0.2 s of pure-Python search.
    wall = [[500, y] for y in range(1000)]
    lattice = EngineLattice(dimensions=2, size=1000, obstacles=wall)
    started = time.monotonic()
    with pytest.raises(Exceeded) as error:
        lattice.path([0, 0], [999, 999], budget=10**9, strategy="astar", deadline=started + 0.2)
    assert error.value.timed_out is True
    assert "ran out of time" in str(error.value)
    assert time.monotonic() - started < 2
