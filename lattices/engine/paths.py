"""Shortest paths on the implicit lattice graph (unit edge lengths).

Strategy, cheapest first:

1. Unobstructed lattice: the axis-by-axis path is optimal; built in O(d*n) with no search.
2. Obstructed, ``auto`` only: try that same straight path, checking each point; if none is
   blocked it is optimal (its length is the L1 lower bound). Sparse explicit walls often allow
   this.
3. Obstructed and the search box fits in ``GRID_CELL_CAP`` cells: vectorised bidirectional BFS
   (:mod:`.gridsearch`) over the box spanned by the endpoints plus a margin. A path found in the
   box is proven globally shortest when the box contains every point that any shorter-or-equal
   path could visit (an L1 "ellipse" around the endpoints); otherwise the box is grown once to
   that bound, which is then guaranteed to suffice.
4. Otherwise (huge lattices, e.g. 10-D): pure-Python A* with the L1 heuristic over tuples, with
   memory proportional to the points discovered. A small BFS probe from ``end`` first detects an
   enclosed end point cheaply, which A* from ``start`` could only prove by flooding start's side.

Every search counts *explored* points (distinct points discovered, which bounds its memory) and
raises :class:`SearchBudgetExceeded` past the budget.
"""

from __future__ import annotations

import heapq
import numbers
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import InvalidPoint, LatticeError, SearchBudgetExceeded
from .geometry import Point, iter_straight_path, manhattan, straight_path
from .gridsearch import grid_search, padded_cells
from .obstacles import Obstacles

if TYPE_CHECKING:
    from .lattice import Lattice

DEFAULT_SEARCH_BUDGET = 2_000_000
# Largest padded box (cells) searched with NumPy: 6 bytes a cell, i.e. at most ~25 MiB.
GRID_CELL_CAP = 1 << 22
# Points the BFS probe from the end point may discover before A* takes over.
END_PROBE_LIMIT = 4096
STRATEGIES = ("auto", "grid", "astar")


@dataclass(frozen=True)
class PathResult:
    """Outcome of a path query.

    ``length`` is the number of unit steps (None when unreachable); ``path`` lists the points
    from start to end inclusive ([] when unreachable); ``explored`` is the number of points the
    query examined or discovered (the straight-path check, probe and search together).
    """

    reachable: bool
    length: int | None
    path: list[list[int]]
    explored: int
    method: str  # "direct", "grid-bfs", "astar" or "probe-bfs": how the answer was found

    def as_dict(self) -> dict[str, Any]:
        return {
            "reachable": self.reachable,
            "length": self.length,
            "path": self.path,
            "explored": self.explored,
            "method": self.method,
        }


def find_path(
    lattice: Lattice,
    start: Sequence[int],
    end: Sequence[int],
    budget: int = DEFAULT_SEARCH_BUDGET,
    strategy: str = "auto",
    deadline: float | None = None,
) -> PathResult:
    """Shortest path between two free lattice points.

    ``deadline`` (a ``time.monotonic()`` instant) stops the pure-Python search when it
    passes: in high dimensions each explored point costs ~30 us, so a large budget
    alone could hold a web worker for minutes.

    Raises :class:`InvalidPoint` for malformed, out-of-range or blocked endpoints and
    :class:`SearchBudgetExceeded` when more than ``budget`` points would be explored.
    ``strategy`` forces the search ("grid" or "astar") for testing and benchmarking; "auto"
    picks as described in the module docstring. Unreachable: ``reachable=False``,
    ``length=None``, ``path=[]``. The budget limits searches only: an unobstructed lattice needs
    none, whatever the distance.
    """
    s = lattice.validate_point(start, "start")
    t = lattice.validate_point(end, "end")
    if isinstance(budget, bool) or not isinstance(budget, numbers.Integral) or budget < 1:
        raise LatticeError(f"budget must be a positive integer, got {budget!r}")
    if strategy not in STRATEGIES:
        raise LatticeError(f"strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    obstacles = lattice.blocked
    if obstacles.is_blocked(s):
        raise InvalidPoint("start is blocked")
    if obstacles.is_blocked(t):
        raise InvalidPoint("end is blocked")

    if obstacles.empty or s == t:
        path = straight_path(s, t)
        return PathResult(True, len(path) - 1, path, len(path), "direct")

    explored = 0
    if strategy == "auto":
        path, explored = _checked_straight_path(obstacles, s, t, budget)
        if path is not None:
            return PathResult(True, len(path) - 1, path, explored, "direct")
    if strategy == "astar":
        return _astar(obstacles, lattice.size, s, t, budget, explored, deadline)
    return _grid(obstacles, lattice.size, s, t, budget, explored, strategy == "auto", deadline)


def _checked_straight_path(
    obstacles: Obstacles, s: Point, t: Point, budget: int
) -> tuple[list[list[int]] | None, int]:
    """The axis-by-axis path if none of its points is blocked, and the points checked."""
    if manhattan(s, t) + 1 > budget:
        return None, 0  # no path fits the budget; the search will report that properly
    path = []
    for point in iter_straight_path(s, t):
        if obstacles.is_blocked(point):
            return None, len(path) + 1
        path.append(list(point))
    return path, len(path)


def _box(s: Point, t: Point, margin: int, size: int) -> tuple[Point, Point]:
    lo = tuple(max(0, min(a, b) - margin) for a, b in zip(s, t, strict=True))
    hi = tuple(min(size - 1, max(a, b) + margin) for a, b in zip(s, t, strict=True))
    return lo, hi


def _grid(
    obstacles: Obstacles,
    size: int,
    s: Point,
    t: Point,
    budget: int,
    explored: int,
    allow_fallback: bool,
    deadline: float | None = None,
) -> PathResult:
    distance = manhattan(s, t)
    full = ((0,) * len(s), (size - 1,) * len(s))
    # Detours at 30% density are typically 5-30% of the distance; a quarter of it as margin
    # usually proves optimality on the first attempt.
    box = _box(s, t, distance // 4 + 2, size)
    while True:
        if padded_cells(*box) > GRID_CELL_CAP:
            if allow_fallback:
                return _astar(obstacles, size, s, t, budget, explored, deadline)
            raise LatticeError(f"the search box {box} is too large for the grid strategy")
        outcome = grid_search(obstacles, box[0], box[1], s, t, budget, explored)
        explored += outcome.explored
        if outcome.path is None:
            if box == full:
                return PathResult(False, None, [], explored, "grid-bfs")
            box = full  # disconnected inside the box only; the way round may leave it
            continue
        length = len(outcome.path) - 1
        # Every path no longer than `length` stays within this box (see module docstring);
        # path lengths and L1 distance have equal parity on a grid, so the division is exact.
        needed = _box(s, t, (length - distance) // 2, size)
        if all(a <= b for a, b in zip(box[0], needed[0], strict=True)) and all(
            a >= b for a, b in zip(box[1], needed[1], strict=True)
        ):
            return PathResult(True, length, outcome.path, explored, "grid-bfs")
        box = needed


def _neighbours(p: Point, size: int) -> Iterator[tuple[Point, int, int]]:
    """Yield (neighbour, axis, new coordinate) for each in-range neighbour of ``p``."""
    last = size - 1
    for axis, c in enumerate(p):
        if c > 0:
            yield p[:axis] + (c - 1,) + p[axis + 1 :], axis, c - 1
        if c < last:
            yield p[:axis] + (c + 1,) + p[axis + 1 :], axis, c + 1


def _probe_from_end(
    obstacles: Obstacles, size: int, s: Point, t: Point, limit: int
) -> tuple[PathResult | None, int]:
    """Bounded BFS from ``t``: settles the query if ``t``'s component is small."""
    parent: dict[Point, Point | None] = {t: None}
    queue = deque([t])
    while queue:
        u = queue.popleft()
        for v, _, _ in _neighbours(u, size):
            if v in parent or obstacles.is_blocked(v):
                continue
            parent[v] = u
            if v == s:  # BFS from t: the tree path s -> t is shortest
                path = [list(v)]
                node = u
                while node is not None:
                    path.append(list(node))
                    node = parent[node]
                return PathResult(True, len(path) - 1, path, len(parent), "probe-bfs"), len(parent)
            if len(parent) >= limit:
                return None, len(parent)
            queue.append(v)
    return PathResult(False, None, [], len(parent), "probe-bfs"), len(parent)


def _astar(
    obstacles: Obstacles,
    size: int,
    s: Point,
    t: Point,
    budget: int,
    explored: int,
    deadline: float | None = None,
) -> PathResult:
    probe_limit = min(END_PROBE_LIMIT, max(1, (budget - explored) // 4))
    probed, probe_explored = _probe_from_end(obstacles, size, s, t, probe_limit)
    explored += probe_explored
    if probed is not None:
        return PathResult(probed.reachable, probed.length, probed.path, explored, probed.method)

    # Heap entries are (f, -g, point): among equal f, prefer the deeper point, which makes A*
    # run straight at the goal on open ground instead of widening a whole f-layer.
    g_score: dict[Point, int] = {s: 0}
    parent: dict[Point, Point | None] = {s: None}
    blocked_seen: set[Point] = set()  # avoid re-hashing walls met from several sides
    h0 = manhattan(s, t)
    heap: list[tuple[int, int, Point]] = [(h0, 0, s)]
    explored += 1
    if explored > budget:
        raise SearchBudgetExceeded(explored, budget)
    while heap:
        f, neg_g, u = heapq.heappop(heap)
        g = -neg_g
        if g != g_score[u]:
            continue  # stale entry superseded by a shorter route
        if u == t:
            path = []
            node: Point | None = u
            while node is not None:
                path.append(list(node))
                node = parent[node]
            path.reverse()
            return PathResult(True, g, path, explored, "astar")
        h_u = f - g
        for v, axis, c in _neighbours(u, size):
            target = t[axis]
            # Moving one step along one axis changes the L1 heuristic by exactly +-1.
            h_v = h_u - 1 if abs(c - target) < abs(u[axis] - target) else h_u + 1
            old = g_score.get(v)
            if old is None:
                if v in blocked_seen:
                    continue
                if obstacles.is_blocked(v):
                    blocked_seen.add(v)
                    continue
                explored += 1
                if explored > budget:
                    raise SearchBudgetExceeded(explored, budget)
                if deadline is not None and not explored & 4095 and time.monotonic() > deadline:
                    raise SearchBudgetExceeded(explored, budget, timed_out=True)
            elif old <= g + 1:
                continue
            g_score[v] = g + 1
            parent[v] = u
            heapq.heappush(heap, (g + 1 + h_v, -(g + 1), v))
    return PathResult(False, None, [], explored, "astar")
