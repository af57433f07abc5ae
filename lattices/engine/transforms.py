"""Transforms: catalytic XOR of a byte payload, lattice rotations and proportional rescaling."""

from __future__ import annotations

import hashlib
import numbers
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import DataTooLarge, InvalidPoint, TransformError
from .geometry import MAX_DIMENSIONS, MAX_SIZE, MIN_SIZE, validate_point

MAX_XOR_BYTES = 1 << 20  # 1 MiB payload limit
DEFAULT_AUX_SIZE = 4 << 20  # 4 MiB borrowed buffer
MAX_AUX_SIZE = 64 << 20


@dataclass(frozen=True)
class XorResult:
    output: bytes
    aux_size: int
    aux_offset: int
    aux_sha256_before: str
    aux_sha256_after: str

    @property
    def aux_restored(self) -> bool:
        return self.aux_sha256_before == self.aux_sha256_after

    def as_dict(self) -> dict[str, Any]:
        return {
            "output_hex": self.output.hex(),
            "aux_size": self.aux_size,
            "aux_offset": self.aux_offset,
            "aux_sha256_before": self.aux_sha256_before,
            "aux_sha256_after": self.aux_sha256_after,
            "aux_restored": self.aux_restored,
        }


def key_stream(key: str, length: int) -> bytes:
    """``length`` pseudo-random bytes derived from ``key`` (SHAKE-256 as an XOF)."""
    return hashlib.shake_256(b"catalytic-xor\x00" + key.encode("utf-8")).digest(length)


def xor(
    data: bytes,
    key: str,
    aux_size: int = DEFAULT_AUX_SIZE,
    aux: bytearray | np.ndarray | None = None,
) -> XorResult:
    """XOR ``data`` with the key stream of ``key``, borrowing an auxiliary buffer catalytically.

    The auxiliary ("catalytic") buffer holds content the algorithm does not know -- fresh
    ``os.urandom`` bytes, or the caller's ``aux`` (a writable bytearray or uint8 array). The
    algorithm may use it as scratch space only reversibly and must hand it back bit-identical:

        region ^= ks        borrow: the region now holds aux XOR ks
        out = data ^ region     out = data XOR aux XOR ks
        region ^= ks        give back: region == aux again
        out ^= region       cancel aux: out = data XOR ks

    The SHA-256 of the whole buffer is computed before and after; equal digests show it was
    restored. XOR with a fixed key stream is an involution, so applying the transform to its
    own output returns the input. The region's offset is derived from the key, so different
    keys borrow different parts of the buffer.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TransformError(f"data must be bytes, got {type(data).__name__}")
    payload = bytes(data)
    if len(payload) > MAX_XOR_BYTES:
        raise DataTooLarge(len(payload), MAX_XOR_BYTES)
    if not isinstance(key, str) or not key:
        raise TransformError("key must be a non-empty string")
    if aux is None:
        if isinstance(aux_size, bool) or not isinstance(aux_size, numbers.Integral):
            raise TransformError(f"aux_size must be an integer, got {aux_size!r}")
        if not len(payload) <= aux_size <= MAX_AUX_SIZE:
            raise TransformError(
                f"aux_size={aux_size} must be between the data size ({len(payload)}) "
                f"and {MAX_AUX_SIZE} bytes"
            )
        aux = bytearray(os.urandom(int(aux_size)))
    buffer = _as_uint8(aux)
    if buffer.size < len(payload):
        raise TransformError(
            f"aux buffer ({buffer.size} bytes) is smaller than the data ({len(payload)} bytes)"
        )

    digest = hashlib.sha256(hashlib.sha256(key.encode("utf-8")).digest()).digest()
    offset = int.from_bytes(digest[:8], "big") % (buffer.size - len(payload) + 1)
    before = hashlib.sha256(buffer.data).hexdigest()

    ks = np.frombuffer(key_stream(key, len(payload)), dtype=np.uint8)
    region = buffer[offset : offset + len(payload)]
    region ^= ks
    out = np.bitwise_xor(np.frombuffer(payload, dtype=np.uint8), region)
    region ^= ks
    out ^= region

    after = hashlib.sha256(buffer.data).hexdigest()
    return XorResult(out.tobytes(), int(buffer.size), offset, before, after)


def _as_uint8(aux: bytearray | np.ndarray) -> np.ndarray:
    if isinstance(aux, np.ndarray):
        if aux.dtype != np.uint8 or aux.ndim != 1 or not aux.flags.c_contiguous:
            raise TransformError("aux array must be a 1-D contiguous uint8 array")
        if not aux.flags.writeable:
            raise TransformError("aux array must be writable")
        return aux
    if isinstance(aux, bytearray):
        return np.frombuffer(aux, dtype=np.uint8)  # a writable view: changes reach `aux`
    raise TransformError(f"aux must be a bytearray or uint8 array, got {type(aux).__name__}")


def _validate_points(
    points: Sequence[Sequence[int]], size: int, dimensions: int | None
) -> tuple[list[tuple[int, ...]], int | None]:
    if isinstance(points, (str, bytes)) or not isinstance(points, Sequence):
        raise TransformError("points must be a list of coordinate lists")
    if dimensions is None and points:
        first = points[0]
        if isinstance(first, (str, bytes)) or not isinstance(first, Sequence) or not first:
            raise InvalidPoint(f"points[0] must be a list of integers, got {first!r}")
        dimensions = len(first)
    if dimensions is not None and not 1 <= dimensions <= MAX_DIMENSIONS:
        raise TransformError(f"points have {dimensions} coordinates; 1..{MAX_DIMENSIONS} allowed")
    checked = [
        validate_point(p, dimensions, size, name=f"points[{i}]")  # type: ignore[arg-type]
        for i, p in enumerate(points)
    ]
    return checked, dimensions


def _validate_size(size: object, name: str) -> int:
    if isinstance(size, bool) or not isinstance(size, numbers.Integral):
        raise TransformError(f"{name} must be an integer, got {size!r}")
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise TransformError(f"{name}={size} is outside {MIN_SIZE}..{MAX_SIZE}")
    return int(size)


def rotate(
    points: Sequence[Sequence[int]],
    axes: Sequence[int],
    k: int,
    size: int,
    dimensions: int | None = None,
) -> list[list[int]]:
    """Rotate points by k quarter turns in the plane of ``axes = (i, j)``.

    One quarter turn maps (x_i, x_j) -> (n-1-x_j, x_i) and leaves other axes alone. It is a
    bijection of [0, n-1]^d onto itself preserving adjacency, i.e. an automorphism of the
    lattice graph. ``k`` may be any integer (taken mod 4); :func:`rotate_inverse` undoes it.
    ``dimensions`` defaults to the length of the first point.
    """
    n = _validate_size(size, "size")
    checked, d = _validate_points(points, n, dimensions)
    if isinstance(axes, (str, bytes)) or not isinstance(axes, Sequence) or len(axes) != 2:
        raise TransformError(f"axes must be a pair of axis numbers, got {axes!r}")
    i, j = axes
    for a in (i, j):
        if isinstance(a, bool) or not isinstance(a, numbers.Integral):
            raise TransformError(f"axes must be integers, got {axes!r}")
        if a < 0 or (d is not None and a >= d):
            top = "" if d is None else f"0..{d - 1}"
            raise TransformError(f"axis {a} is outside {top or 'the valid range'}")
    if i == j:
        raise TransformError(f"axes must be distinct, got ({i}, {j})")
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TransformError(f"k must be an integer, got {k!r}")
    turns = int(k) % 4
    last = n - 1
    out = []
    for p in checked:
        q = list(p)
        xi, xj = q[i], q[j]
        if turns == 1:
            q[i], q[j] = last - xj, xi
        elif turns == 2:
            q[i], q[j] = last - xi, last - xj
        elif turns == 3:
            q[i], q[j] = xj, last - xi
        out.append(q)
    return out


def inverse_turns(k: int) -> int:
    """The quarter-turn count that undoes ``k`` quarter turns."""
    return (-k) % 4


def rotate_inverse(
    points: Sequence[Sequence[int]],
    axes: Sequence[int],
    k: int,
    size: int,
    dimensions: int | None = None,
) -> list[list[int]]:
    """Undo :func:`rotate` with the same arguments."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TransformError(f"k must be an integer, got {k!r}")
    return rotate(points, axes, inverse_turns(int(k)), size, dimensions)


def scale(points: Sequence[Sequence[int]], from_size: int, to_size: int) -> list[list[int]]:
    """Map each coordinate proportionally from 0..from_size-1 onto 0..to_size-1.

    x -> round(x * (to-1) / (from-1)) with halves rounded up, in exact integer arithmetic:
    (2*x*(to-1) + (from-1)) // (2*(from-1)). 0 maps to 0 and from-1 to to-1, and the map is
    monotone non-decreasing (a sum of monotone terms under floor division).
    """
    src = _validate_size(from_size, "from_size")
    dst = _validate_size(to_size, "to_size")
    checked, _ = _validate_points(points, src, None)
    num, den = 2 * (dst - 1), 2 * (src - 1)
    half = src - 1
    return [[(x * num + half) // den for x in p] for p in checked]
