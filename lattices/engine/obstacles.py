"""Blocked points: none, an explicit list, or an implicit pseudo-random density field.

The density field stores nothing per point. A point x is blocked iff

    h = mix(...mix(mix(mix(seed) ^ x_0) ^ x_1)... ^ x_{d-1})      (all arithmetic mod 2^64)
    h / 2^64 < density

where ``mix`` is the splitmix64 finaliser. Folding the coordinates one at a time (instead of
hashing a flat index) keeps the definition valid for lattices with more than 2^64 points, and it
vectorises naturally: NumPy folds a whole region axis by axis with broadcasting. The scalar
(Python int) and vectorised (NumPy uint64) implementations below must agree bit for bit; the
tests check that they do.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from .errors import InvalidLattice
from .geometry import WORD_BYTES, Point, validate_point

MAX_EXPLICIT_OBSTACLES = 10_000

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_C1 = 0xBF58476D1CE4E5B9
_C2 = 0x94D049BB133111EB
_GOLDEN_U = np.uint64(_GOLDEN)
_C1_U = np.uint64(_C1)
_C2_U = np.uint64(_C2)

# Cells hashed per NumPy chunk when building a region mask: bounds the uint64 temporaries to a
# few MiB however large the region is.
_CHUNK_CELLS = 1 << 18


def mix64(z: int) -> int:
    """splitmix64 finaliser on a Python int (the scalar reference implementation)."""
    z = (z + _GOLDEN) & _MASK64
    z = ((z ^ (z >> 30)) * _C1) & _MASK64
    z = ((z ^ (z >> 27)) * _C2) & _MASK64
    return z ^ (z >> 31)


def _mix64_inplace(z: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on a uint64 array, in place (uint64 array ops wrap mod 2^64)."""
    z += _GOLDEN_U
    z ^= z >> np.uint64(30)
    z *= _C1_U
    z ^= z >> np.uint64(27)
    z *= _C2_U
    z ^= z >> np.uint64(31)
    return z


def density_threshold(density: float) -> int:
    """Integer T with ``h / 2^64 < density  <=>  h < T`` for every integer h.

    density * 2^64 is exact in binary floating point (a power-of-two scaling), so the ceiling is
    the exact threshold and both code paths compare integers only.
    """
    return math.ceil(density * 2.0**64)


def density_hash(seed: int, point: Sequence[int]) -> int:
    """Scalar keyed hash of one point (see the module docstring)."""
    h = mix64(seed & _MASK64)
    for c in point:
        h = mix64(h ^ c)
    return h


def density_hash_points(seed: int, points: np.ndarray) -> np.ndarray:
    """Vectorised :func:`density_hash` over an (m, d) array of points; returns uint64[m]."""
    coords = np.asarray(points, dtype=np.uint64)
    h = np.full(coords.shape[0], mix64(seed & _MASK64), dtype=np.uint64)
    for axis in range(coords.shape[1]):
        h ^= coords[:, axis]
        _mix64_inplace(h)
    return h


def density_hash_region(seed: int, lo: Sequence[int], hi: Sequence[int]) -> np.ndarray:
    """Vectorised :func:`density_hash` of every point of the box lo..hi (inclusive)."""
    shape = tuple(h - lo_ + 1 for lo_, h in zip(lo, hi, strict=True))
    out = np.empty(shape, dtype=np.uint64)
    for rows, block in _fold_region(seed, lo, hi):
        out[rows] = block
    return out


def _fold_region(
    seed: int, lo: Sequence[int], hi: Sequence[int]
) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield (row slice, uint64 hash block) over the box, chunked along axis 0."""
    axes = [np.arange(a, b + 1, dtype=np.uint64) for a, b in zip(lo, hi, strict=True)]
    inner = math.prod(len(a) for a in axes[1:])
    rows = max(1, _CHUNK_CELLS // inner)
    h0 = np.uint64(mix64(seed & _MASK64))
    for r0 in range(0, len(axes[0]), rows):
        h = axes[0][r0 : r0 + rows] ^ h0
        _mix64_inplace(h)
        for coords in axes[1:]:
            # Broadcasting appends one axis per fold; the result is C-ordered like the region.
            h = h[..., None] ^ coords
            _mix64_inplace(h)
        yield slice(r0, r0 + rows), h


@dataclass(frozen=True)
class NoObstacles:
    kind = "none"

    @property
    def empty(self) -> bool:
        return True

    def is_blocked(self, point: Point) -> bool:
        return False

    def region_mask(self, lo: Sequence[int], hi: Sequence[int]) -> np.ndarray:
        return np.zeros([b - a + 1 for a, b in zip(lo, hi, strict=True)], dtype=bool)

    def held_bytes(self, dimensions: int) -> int:
        return 0

    def spec(self) -> None:
        return None


@dataclass(frozen=True)
class ExplicitObstacles:
    points: frozenset[Point]
    kind = "explicit"

    @property
    def empty(self) -> bool:
        return not self.points

    def is_blocked(self, point: Point) -> bool:
        return point in self.points

    @cached_property
    def array(self) -> np.ndarray:
        """The obstacles as an (m, d) int64 array, cached for repeated region masks."""
        return np.array(sorted(self.points), dtype=np.int64).reshape(len(self.points), -1)

    def region_mask(self, lo: Sequence[int], hi: Sequence[int]) -> np.ndarray:
        mask = np.zeros([b - a + 1 for a, b in zip(lo, hi, strict=True)], dtype=bool)
        if self.points:
            arr = self.array
            lo_a, hi_a = np.asarray(lo), np.asarray(hi)
            inside = np.all((arr >= lo_a) & (arr <= hi_a), axis=1)
            mask[tuple((arr[inside] - lo_a).T)] = True
        return mask

    def held_bytes(self, dimensions: int) -> int:
        return WORD_BYTES * dimensions * len(self.points)

    def spec(self) -> list[list[int]]:
        return [list(p) for p in sorted(self.points)]


@dataclass(frozen=True)
class DensityObstacles:
    density: float
    seed: int
    kind = "density"

    @property
    def empty(self) -> bool:
        return self.threshold == 0

    @cached_property
    def threshold(self) -> int:
        return density_threshold(self.density)

    def is_blocked(self, point: Point) -> bool:
        return density_hash(self.seed, point) < self.threshold

    def region_mask(self, lo: Sequence[int], hi: Sequence[int]) -> np.ndarray:
        mask = np.empty([b - a + 1 for a, b in zip(lo, hi, strict=True)], dtype=bool)
        if self.threshold == 0:
            mask[...] = False
            return mask
        threshold = np.uint64(self.threshold)
        for rows, block in _fold_region(self.seed, lo, hi):
            np.less(block, threshold, out=mask[rows])
        return mask

    def held_bytes(self, dimensions: int) -> int:
        return 2 * WORD_BYTES  # the density (float64) and the seed (64-bit), whatever the size

    def spec(self) -> dict[str, Any]:
        return {"density": self.density, "seed": self.seed}


Obstacles = NoObstacles | ExplicitObstacles | DensityObstacles
ObstacleSpec = Obstacles | Mapping[str, Any] | Sequence[Sequence[int]] | None


def parse_obstacles(spec: ObstacleSpec, dimensions: int, size: int) -> Obstacles:
    """Validate an obstacle spec and return its normalised, hashable form.

    Accepted: ``None`` (no obstacles), a list of coordinates (at most 10,000, each in range;
    duplicates are merged), or ``{"density": p, "seed": s}`` with 0 <= p < 1 and s an integer in
    [-2^63, 2^64) (only ``s mod 2^64`` enters the hash, so -1 and 2^64-1 block the same points).
    """
    if spec is None:
        return NoObstacles()
    if isinstance(spec, (NoObstacles, ExplicitObstacles, DensityObstacles)):
        spec = spec.spec()
        return parse_obstacles(spec, dimensions, size)
    if isinstance(spec, Mapping):
        return _parse_density(spec)
    if isinstance(spec, (str, bytes)) or not isinstance(spec, Sequence):
        raise InvalidLattice(
            'obstacles must be a list of coordinates or {"density": p, "seed": s}, '
            f"got {type(spec).__name__}"
        )
    if len(spec) > MAX_EXPLICIT_OBSTACLES:
        raise InvalidLattice(
            f"obstacles lists {len(spec)} points; at most {MAX_EXPLICIT_OBSTACLES} are allowed "
            '(use {"density": p, "seed": s} for dense obstacle fields)'
        )
    points = frozenset(
        validate_point(p, dimensions, size, name=f"obstacles[{i}]", error=InvalidLattice)
        for i, p in enumerate(spec)
    )
    return ExplicitObstacles(points) if points else NoObstacles()


def _parse_density(spec: Mapping[str, Any]) -> DensityObstacles:
    unknown = set(spec) - {"density", "seed"}
    if unknown:
        raise InvalidLattice(f"unknown obstacle keys: {', '.join(sorted(map(str, unknown)))}")
    if "density" not in spec or "seed" not in spec:
        raise InvalidLattice('density obstacles need both "density" and "seed"')
    density, seed = spec["density"], spec["seed"]
    if isinstance(density, bool) or not isinstance(density, numbers.Real):
        raise InvalidLattice(f"density must be a number, got {density!r}")
    p = float(density)
    if not (math.isfinite(p) and 0.0 <= p < 1.0):
        raise InvalidLattice(f"density={density!r} is outside [0, 1)")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise InvalidLattice(f"seed must be an integer, got {seed!r}")
    s = int(seed)
    if not -(1 << 63) <= s <= _MASK64:
        raise InvalidLattice(f"seed={s} is outside the 64-bit range")
    return DensityObstacles(p, s)
