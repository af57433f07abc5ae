"""Vectorised bidirectional BFS over a box of the lattice, held in NumPy arrays.

Why this shape:

* Points are flat row-major indices into the box *padded by one wall cell on every side*. The
  wall makes every neighbour of an interior cell a valid index, so expanding a frontier is a
  single broadcast add with no per-axis bounds checks.
* A frontier is expanded one whole BFS level at a time with a handful of NumPy calls, so the
  Python overhead is per level (about the path length), not per point.
* Both endpoints grow a BFS ball; each step expands the side with the smaller frontier. Because
  every expansion is a complete level, the first time a newly discovered cell belongs to the
  other side, the connecting path is a shortest one (proof: before the expansion the balls of
  radius a and b were disjoint, so the distance is at least a+b+1, and the meeting cell gives a
  path of exactly a+1+b). A side whose frontier empties proves the endpoints disconnected (in
  this box) without flooding the other side's component.
* Per cell we keep one ``uint8`` state (free / wall / side A / side B) and one ``int8``
  direction by which it was reached, plus an ``int32`` scratch cell for de-duplication:
  6 bytes per cell of the padded box, allocated once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .errors import SearchBudgetExceeded
from .geometry import Point
from .obstacles import Obstacles

FREE, WALL, SIDE_A, SIDE_B = 0, 1, 2, 3


@dataclass
class GridOutcome:
    """``path`` is None when the endpoints are disconnected within the box."""

    path: list[list[int]] | None
    explored: int


def padded_cells(lo: Sequence[int], hi: Sequence[int]) -> int:
    """Number of cells the search allocates for the box lo..hi (wall included)."""
    return math.prod(b - a + 3 for a, b in zip(lo, hi, strict=True))


def grid_search(
    obstacles: Obstacles,
    lo: Point,
    hi: Point,
    start: Point,
    end: Point,
    budget: int,
    explored_before: int = 0,
) -> GridOutcome:
    """Shortest path from ``start`` to ``end`` using only points of the box lo..hi.

    ``explored`` counts points discovered (both sides, endpoints included); exceeding
    ``budget`` (together with ``explored_before`` from earlier attempts) raises
    :class:`SearchBudgetExceeded`.
    """
    d = len(lo)
    pshape = tuple(b - a + 3 for a, b in zip(lo, hi, strict=True))
    state = np.full(pshape, WALL, dtype=np.uint8)
    state[(slice(1, -1),) * d] = obstacles.region_mask(lo, hi)  # bool -> 0 free / 1 wall
    flat = state.reshape(-1)
    strides = [math.prod(pshape[i + 1 :]) for i in range(d)]
    offsets = np.array([s * sign for s in strides for sign in (1, -1)], dtype=np.int64)
    ndir = len(offsets)

    def index(p: Point) -> int:
        return sum((c - a + 1) * s for c, a, s in zip(p, lo, strides, strict=True))

    s_idx, t_idx = index(start), index(end)
    explored = explored_before + 2
    if explored > budget:
        raise SearchBudgetExceeded(explored, budget)
    flat[s_idx] = SIDE_A
    flat[t_idx] = SIDE_B
    direction = np.zeros(flat.size, dtype=np.int8)
    scratch = np.empty(flat.size, dtype=np.int32)
    fronts = {SIDE_A: np.array([s_idx], dtype=np.int64), SIDE_B: np.array([t_idx], dtype=np.int64)}

    while True:
        side = SIDE_A if len(fronts[SIDE_A]) <= len(fronts[SIDE_B]) else SIDE_B
        other = SIDE_B if side == SIDE_A else SIDE_A
        front = fronts[side]
        cand = (front[:, None] + offsets).ravel()
        seen = flat[cand]
        meet = np.flatnonzero(seen == other)
        if meet.size:
            pos = int(meet[0])
            u, v = int(front[pos // ndir]), int(cand[pos])
            a_end, b_end = (u, v) if side == SIDE_A else (v, u)
            roots = (s_idx, t_idx)
            cells = _chain(a_end, roots, direction, offsets)[::-1]
            cells += _chain(b_end, roots, direction, offsets)
            return GridOutcome(_to_points(cells, pshape, lo), explored - explored_before)
        pos = np.flatnonzero(seen == FREE)
        cand = cand[pos]
        # Several frontier cells can reach the same new cell. Each write below leaves *some*
        # writer's position in scratch; keeping only that writer de-duplicates without a sort.
        # Any of the duplicates is a valid parent, since all of them are in the same level.
        order = np.arange(cand.size, dtype=np.int32)
        scratch[cand] = order
        keep = scratch[cand] == order
        cand = cand[keep]
        flat[cand] = side
        direction[cand] = (pos[keep] % ndir).astype(np.int8)
        explored += cand.size
        if explored > budget:
            raise SearchBudgetExceeded(explored, budget)
        if cand.size == 0:
            return GridOutcome(None, explored - explored_before)
        fronts[side] = cand


def _chain(
    cell: int, roots: tuple[int, int], direction: np.ndarray, offsets: np.ndarray
) -> list[int]:
    """Cells from ``cell`` back to the root of its BFS tree (one of the two endpoints).

    Roots never get a direction written (their entry stays 0, itself a valid direction), so the
    walk stops on the known root cells rather than on a sentinel value.
    """
    steps = offsets.tolist()
    out = [cell]
    while cell not in roots:
        cell -= steps[direction[cell]]
        out.append(cell)
    return out


def _to_points(cells: list[int], pshape: tuple[int, ...], lo: Point) -> list[list[int]]:
    coords = np.stack(np.unravel_index(np.asarray(cells, dtype=np.int64), pshape), axis=1)
    coords += np.asarray(lo, dtype=np.int64) - 1
    return coords.tolist()
