"""Closed-form facts about the bounded grid lattice [0, n-1]^d and coordinate validation.

Nothing here materialises the graph: every count is an exact Python integer computed from the
formula, so a 10-D lattice with n=100 (10^20 vertices) costs the same as a 2x2 square.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .errors import InvalidLattice, InvalidPoint

MIN_DIMENSIONS = 1
MAX_DIMENSIONS = 10
MIN_SIZE = 2
MAX_SIZE = 1000

Point = tuple[int, ...]

# Bytes per integer in the adjacency-list memory model below (one int64 per entry).
WORD_BYTES = 8


def _is_int(value: object) -> bool:
    # bool is an int subclass, but True as a coordinate or size is always a client bug.
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def validate_dimensions(dimensions: object) -> int:
    if not _is_int(dimensions):
        raise InvalidLattice(f"dimensions must be an integer, got {dimensions!r}")
    d = int(dimensions)  # type: ignore[call-overload]
    if not MIN_DIMENSIONS <= d <= MAX_DIMENSIONS:
        raise InvalidLattice(
            f"dimensions={d} is outside {MIN_DIMENSIONS}..{MAX_DIMENSIONS}",
        )
    return d


def validate_size(size: object) -> int:
    if not _is_int(size):
        raise InvalidLattice(f"size must be an integer, got {size!r}")
    n = int(size)  # type: ignore[call-overload]
    if not MIN_SIZE <= n <= MAX_SIZE:
        raise InvalidLattice(f"size={n} is outside {MIN_SIZE}..{MAX_SIZE}")
    return n


def validate_point(
    point: object,
    dimensions: int,
    size: int,
    name: str = "point",
    error: type[Exception] = InvalidPoint,
) -> Point:
    """Return ``point`` as a tuple of ints, or raise ``error`` naming the first problem.

    ``name`` is used in the message ("end[2]=57 is outside 0..49") so the API can pass the
    user's own field name through unchanged.
    """
    if isinstance(point, (str, bytes)) or not isinstance(point, Sequence):
        raise error(f"{name} must be a list of {dimensions} integers, got {point!r}")
    if len(point) != dimensions:
        raise error(
            f"{name} must have {dimensions} coordinates (one per dimension), got {len(point)}"
        )
    coords = []
    for axis, value in enumerate(point):
        if not _is_int(value):
            raise error(f"{name}[{axis}]={value!r} is not an integer")
        c = int(value)
        if not 0 <= c < size:
            raise error(f"{name}[{axis}]={c} is outside 0..{size - 1}")
        coords.append(c)
    return tuple(coords)


def manhattan(a: Sequence[int], b: Sequence[int]) -> int:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True))


def straight_path(start: Point, end: Point) -> list[list[int]]:
    """The axis-by-axis shortest path: fix axis 0 first, then axis 1, ...

    Its length equals the L1 distance, which is a lower bound for any lattice path, so it is
    optimal whenever none of its points is blocked. O(d * n) time and output size.
    """
    current = list(start)
    path = [current.copy()]
    append = path.append
    for axis, target in enumerate(end):
        step = 1 if target > current[axis] else -1
        value = current[axis]
        while value != target:
            value += step
            current[axis] = value
            append(current.copy())
    return path


def iter_straight_path(start: Point, end: Point) -> Iterator[Point]:
    """Lazily yield the points of :func:`straight_path`, so a caller checking each point for
    obstacles can stop at the first blocked one without building the rest."""
    current = list(start)
    yield tuple(current)
    for axis, target in enumerate(end):
        step = 1 if target > current[axis] else -1
        while current[axis] != target:
            current[axis] += step
            yield tuple(current)


@dataclass(frozen=True)
class LatticeCounts:
    """Exact structural counts of a bounded grid lattice (all Python ints).

    Memory model (``adjacency_list_bytes``): the most compact explicit adjacency list, in CSR
    form with 8-byte integers, i.e. an offsets array of V+1 words plus one word per directed
    edge entry (2 per undirected edge): ``8 * (V + 1 + 2 * E)``. Real graph libraries need more
    (networkx stores a dict per node and per edge, hundreds of bytes per edge), so this is a
    lower bound on what materialising the graph costs.

    ``engine_bytes`` is what the engine holds in the same 8-byte-word model: nothing for the
    graph itself, ``8 * d`` per explicit obstacle, or 16 bytes (density + seed) for an implicit
    density obstacle field, which is O(1) whatever the lattice size.
    """

    dimensions: int
    size: int
    vertices: int
    edges: int
    diameter: int
    max_degree: int
    min_degree: int
    adjacency_list_bytes: int
    engine_bytes: int

    def as_dict(self) -> dict[str, int]:
        return {
            "dimensions": self.dimensions,
            "size": self.size,
            "vertices": self.vertices,
            "edges": self.edges,
            "diameter": self.diameter,
            "max_degree": self.max_degree,
            "min_degree": self.min_degree,
            "adjacency_list_bytes": self.adjacency_list_bytes,
            "engine_bytes": self.engine_bytes,
        }


def lattice_counts(dimensions: int, size: int, engine_bytes: int = 0) -> LatticeCounts:
    """Counts of the unobstructed lattice graph with ``dimensions`` axes of ``size`` points.

    Each axis is a path of n points and n-1 edges; the lattice is their Cartesian product, so
    there are d * n^(d-1) * (n-1) edges. A vertex has one neighbour per axis at a boundary and
    two in the interior, so the minimum degree is d (a corner) and the maximum is 2d -- except
    when n=2, where every point is a corner and the maximum is d too.
    """
    d = validate_dimensions(dimensions)
    n = validate_size(size)
    vertices = n**d
    edges = d * n ** (d - 1) * (n - 1)
    return LatticeCounts(
        dimensions=d,
        size=n,
        vertices=vertices,
        edges=edges,
        diameter=d * (n - 1),
        max_degree=d * min(2, n - 1),
        min_degree=d,
        adjacency_list_bytes=WORD_BYTES * (vertices + 1 + 2 * edges),
        engine_bytes=engine_bytes,
    )
