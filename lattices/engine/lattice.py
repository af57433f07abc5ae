"""The :class:`Lattice` value object: a validated, immutable lattice description."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InvalidPoint
from .geometry import LatticeCounts, Point, lattice_counts, validate_dimensions, validate_point
from .geometry import validate_size as _validate_size
from .neighbors import NeighborsResult, neighbors
from .obstacles import Obstacles, ObstacleSpec, parse_obstacles
from .paths import DEFAULT_SEARCH_BUDGET, PathResult, find_path


@dataclass(frozen=True)
class Lattice:
    """The bounded grid [0, size-1]^dimensions with optional blocked points.

    ``obstacles`` accepts ``None``, a list of coordinates, ``{"density": p, "seed": s}`` or an
    already-normalised obstacle object; after construction it is always the normalised,
    hashable form (:class:`NoObstacles`, :class:`ExplicitObstacles` or
    :class:`DensityObstacles`). Invalid input raises :class:`InvalidLattice`.
    """

    dimensions: int
    size: int
    obstacles: ObstacleSpec = None

    def __post_init__(self) -> None:
        d = validate_dimensions(self.dimensions)
        n = _validate_size(self.size)
        # object.__setattr__ is the documented way to normalise fields of a frozen dataclass.
        object.__setattr__(self, "dimensions", d)
        object.__setattr__(self, "size", n)
        object.__setattr__(self, "obstacles", parse_obstacles(self.obstacles, d, n))

    @property
    def blocked(self) -> Obstacles:
        """The normalised obstacle object (typed view of ``obstacles``)."""
        return self.obstacles  # type: ignore[return-value]

    @property
    def obstructed(self) -> bool:
        return not self.blocked.empty

    def obstacle_spec(self) -> Any:
        """JSON-ready obstacle spec: None, a sorted list of coordinates, or density + seed."""
        return self.blocked.spec()

    def validate_point(self, point: object, name: str = "point") -> Point:
        """Return ``point`` as a tuple, raising :class:`InvalidPoint` if it is not in range."""
        return validate_point(point, self.dimensions, self.size, name=name)

    def is_blocked(self, point: Sequence[int]) -> bool:
        """Whether ``point`` is blocked; O(1) for every obstacle kind. Validates the point."""
        return self.blocked.is_blocked(self.validate_point(point))

    def blocked_mask(
        self, lo: Sequence[int] | None = None, hi: Sequence[int] | None = None
    ) -> np.ndarray:
        """Boolean array of blocked points over the box lo..hi (default: the whole lattice).

        Vectorised (NumPy); the caller is responsible for keeping the box small enough to fit
        in memory (one byte per point).
        """
        lo_t = tuple(lo) if lo is not None else (0,) * self.dimensions
        hi_t = tuple(hi) if hi is not None else (self.size - 1,) * self.dimensions
        self.validate_point(lo_t, "lo")
        self.validate_point(hi_t, "hi")
        for axis, (a, b) in enumerate(zip(lo_t, hi_t, strict=True)):
            if a > b:
                raise InvalidPoint(f"lo[{axis}]={a} is greater than hi[{axis}]={b}")
        return self.blocked.region_mask(lo_t, hi_t)

    def counts(self) -> LatticeCounts:
        return lattice_counts(
            self.dimensions, self.size, engine_bytes=self.blocked.held_bytes(self.dimensions)
        )

    def path(
        self,
        start: Sequence[int],
        end: Sequence[int],
        budget: int | None = None,
        strategy: str = "auto",
        deadline: float | None = None,
    ) -> PathResult:
        """Shortest path from ``start`` to ``end``; see :func:`find_path`."""
        if budget is None:
            budget = DEFAULT_SEARCH_BUDGET
        return find_path(self, start, end, budget=budget, strategy=strategy, deadline=deadline)

    def neighbors(self, point: Sequence[int], radius: int) -> NeighborsResult:
        """Points within L1 distance ``radius``; see :func:`neighbors`."""
        return neighbors(self, point, radius)
