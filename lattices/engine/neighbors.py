"""Lattice points within an L1 (taxicab) radius of a point, clipped to the bounded lattice.

Counting convention: ``count`` is the number of *lattice points* x with |x - point|_1 <= radius,
including ``point`` itself and regardless of obstacles -- it is a property of the geometry, and
it stays exact (a Python int) even when astronomically large. When the points are listed
(count <= ``LIST_LIMIT``), ``blocked`` reports how many of them are blocked.

The count is a product of per-axis generating functions. Along an axis where the point sits at
coordinate c of 0..n-1, there is 1 offset of length 0 and, for k >= 1, one offset of length k
towards each boundary that is at least k away: a(k) = [k=0] + [1<=k<=c] + [1<=k<=n-1-c]. The
number of points at L1 distance exactly m is the coefficient of z^m in prod_i A_i(z). Because
each a(k) is a sum of two "boxcar" runs, multiplying by A_i is two windowed prefix-sum lookups
per coefficient, so the whole count costs O(d * R) big-int additions, R = min(radius, reach).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import LatticeError
from .geometry import Point, validate_point

if TYPE_CHECKING:
    from .lattice import Lattice

LIST_LIMIT = 1000


@dataclass(frozen=True)
class NeighborsResult:
    point: list[int]
    radius: int
    count: int
    points: list[list[int]] | None  # None when count > LIST_LIMIT
    blocked: int | None  # blocked points among ``points``; None when not listed

    def as_dict(self) -> dict[str, Any]:
        return {
            "point": self.point,
            "radius": self.radius,
            "count": self.count,
            "listed": self.points is not None,
            "points": self.points,
            "blocked": self.blocked,
        }


def distance_profile(point: Sequence[int], size: int, radius: int) -> list[int]:
    """``out[m]`` = number of lattice points at L1 distance exactly m, for m = 0..R.

    R is ``radius`` clipped to the farthest lattice point from ``point``.
    """
    reach = sum(max(c, size - 1 - c) for c in point)
    r = min(radius, reach)
    coeffs = [1] + [0] * r
    top = 0  # highest non-zero degree so far: lets early axes work on short arrays
    for c in point:
        top = min(r, top + max(c, size - 1 - c))
        prefix = [0] * (top + 2)
        running = 0
        for m in range(top + 1):
            prefix[m] = running
            running += coeffs[m]
        prefix[top + 1] = running
        low, high = c, size - 1 - c
        new = [0] * (r + 1)
        for m in range(top + 1):
            # coeffs[m] (offset 0) + sum of coeffs[m-k] for k=1..low and for k=1..high
            pm = prefix[m]
            new[m] = coeffs[m] + 2 * pm - prefix[max(0, m - low)] - prefix[max(0, m - high)]
        coeffs = new
    return coeffs


def neighbor_count(point: Sequence[int], size: int, radius: int) -> int:
    """Exact number of lattice points within L1 distance ``radius`` of ``point`` (inclusive)."""
    return sum(distance_profile(point, size, radius))


def _enumerate(point: Point, size: int, radius: int) -> list[list[int]]:
    """All lattice points within the radius, in lexicographic order."""
    out: list[list[int]] = []
    prefix: list[int] = []
    d = len(point)

    def walk(axis: int, remaining: int) -> None:
        if axis == d:
            out.append(prefix.copy())
            return
        c = point[axis]
        for x in range(max(0, c - remaining), min(size - 1, c + remaining) + 1):
            prefix.append(x)
            walk(axis + 1, remaining - abs(x - c))
            prefix.pop()

    walk(0, radius)
    return out


def neighbors(lattice: Lattice, point: Sequence[int], radius: int) -> NeighborsResult:
    """Count (and, when at most ``LIST_LIMIT``, list) the points within ``radius`` of ``point``."""
    p = validate_point(point, lattice.dimensions, lattice.size, name="point")
    if isinstance(radius, bool) or not isinstance(radius, numbers.Integral) or radius < 0:
        raise LatticeError(f"radius must be a non-negative integer, got {radius!r}")
    r = int(radius)
    count = neighbor_count(p, lattice.size, r)
    if count > LIST_LIMIT:
        return NeighborsResult(list(p), r, count, None, None)
    # Clipping the radius to the diameter bounds the enumeration loops for huge radii.
    listed = _enumerate(p, lattice.size, min(r, lattice.dimensions * (lattice.size - 1)))
    blocked = sum(1 for q in listed if lattice.blocked.is_blocked(tuple(q)))
    return NeighborsResult(list(p), r, count, listed, blocked)
