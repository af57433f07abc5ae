"""Pure-Python (+NumPy) lattice computation engine. No Django imports, by design.

Public API::

    lat = Lattice(dimensions=2, size=1000, obstacles={"density": 0.3, "seed": 7})
    lat.counts()                      # exact vertex/edge counts, memory model
    lat.path([0, 0], [999, 999])      # PathResult(reachable, length, path, explored, method)
    lat.neighbors([5, 5], radius=3)   # NeighborsResult(count, points, blocked)
    xor(b"...", key="k")              # XorResult with aux buffer digests
    rotate(points, axes=(0, 1), k=1, size=1000); scale(points, from_size=10, to_size=100)

Error mapping for the API layer: :class:`LatticeError` (and subclasses) -> 400,
:class:`SearchBudgetExceeded` -> 422.
"""

from .errors import (
    DataTooLarge,
    EngineError,
    InvalidLattice,
    InvalidPoint,
    LatticeError,
    SearchBudgetExceeded,
    TransformError,
)
from .geometry import (
    MAX_DIMENSIONS,
    MAX_SIZE,
    MIN_DIMENSIONS,
    MIN_SIZE,
    LatticeCounts,
    lattice_counts,
    manhattan,
)
from .lattice import Lattice
from .neighbors import LIST_LIMIT, NeighborsResult, neighbor_count, neighbors
from .obstacles import (
    MAX_EXPLICIT_OBSTACLES,
    DensityObstacles,
    ExplicitObstacles,
    NoObstacles,
    density_hash,
    density_hash_points,
    density_hash_region,
    density_threshold,
)
from .paths import DEFAULT_SEARCH_BUDGET, GRID_CELL_CAP, PathResult, find_path
from .transforms import (
    DEFAULT_AUX_SIZE,
    MAX_XOR_BYTES,
    XorResult,
    inverse_turns,
    rotate,
    rotate_inverse,
    scale,
    xor,
)

__all__ = [
    "DEFAULT_AUX_SIZE",
    "DEFAULT_SEARCH_BUDGET",
    "GRID_CELL_CAP",
    "LIST_LIMIT",
    "MAX_DIMENSIONS",
    "MAX_EXPLICIT_OBSTACLES",
    "MAX_SIZE",
    "MAX_XOR_BYTES",
    "MIN_DIMENSIONS",
    "MIN_SIZE",
    "DataTooLarge",
    "DensityObstacles",
    "EngineError",
    "ExplicitObstacles",
    "InvalidLattice",
    "InvalidPoint",
    "Lattice",
    "LatticeCounts",
    "LatticeError",
    "NeighborsResult",
    "NoObstacles",
    "PathResult",
    "SearchBudgetExceeded",
    "TransformError",
    "XorResult",
    "density_hash",
    "density_hash_points",
    "density_hash_region",
    "density_threshold",
    "find_path",
    "inverse_turns",
    "lattice_counts",
    "manhattan",
    "neighbor_count",
    "neighbors",
    "rotate",
    "rotate_inverse",
    "scale",
    "xor",
]
