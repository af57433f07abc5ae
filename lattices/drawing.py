"""The SVG drawing of a lattice on its page: a 2-D grid (or a 2-D slice of a higher one).

Blocked points and the found path are drawn from the engine's own answers (`blocked_mask`,
the path a service returned); nothing here decides what is blocked or reachable.
"""

from __future__ import annotations

from typing import Any

from django.utils.html import escape
from django.utils.safestring import mark_safe

from lattices import engine

# The drawn window is at most this many cells along each axis (larger lattices: a window).
GRID_CAP = 100
CELL = 10  # SVG units per cell


def _window(size: int, coords: list[int]) -> tuple[int, int]:
    """The [lo, hi] range shown along one axis: everything, or GRID_CAP cells around `coords`."""
    if size <= GRID_CAP:
        return 0, size - 1
    if not coords:
        return 0, GRID_CAP - 1
    lo, hi = min(coords), max(coords)
    if hi - lo + 1 > GRID_CAP:
        # The path is longer than the window: keep its start in view, a little inside.
        lo = coords[0] - GRID_CAP // 4
    else:
        lo -= (GRID_CAP - (hi - lo + 1)) // 2
    lo = max(0, min(lo, size - GRID_CAP))
    return lo, lo + GRID_CAP - 1


def grid_figure(
    lattice: engine.Lattice, *, path: list[list[int]] | None = None, focus: list[int] | None = None
) -> dict[str, Any]:
    """An SVG drawing of the lattice (or the 2-D slice through the path's start).

    Axis 0 runs to the right and axis 1 downwards; higher axes are fixed at the start's
    coordinates (or the focus point's, or 0). Blocked points are merged into runs per row, so
    even a 100×100 window at high density stays a few thousand elements.
    """
    d = lattice.dimensions
    anchor = (path[0] if path else None) or focus or [0] * d
    if len(anchor) != d:
        anchor = [0] * d
    fixed = list(anchor[2:])
    in_slice = [p for p in (path or []) if list(p[2:]) == fixed]
    x0, x1 = _window(lattice.size, [p[0] for p in in_slice] or [anchor[0]])
    if d == 1:
        y0 = y1 = 0
    else:
        y0, y1 = _window(lattice.size, [p[1] for p in in_slice] or [anchor[1]])
    width, height = x1 - x0 + 1, y1 - y0 + 1
    lo = [x0] + ([y0] if d > 1 else []) + fixed
    hi = [x1] + ([y1] if d > 1 else []) + fixed
    mask = lattice.blocked_mask(lo, hi).reshape(width, height)

    parts: list[str] = []
    parts.append(
        f'<rect class="cell" x="0" y="0" width="{width * CELL}" height="{height * CELL}"/>'
    )
    if width <= 60 and height <= 60:
        lines = [
            f'<line x1="{x * CELL}" y1="0" x2="{x * CELL}" y2="{height * CELL}"/>'
            for x in range(1, width)
        ] + [
            f'<line x1="0" y1="{y * CELL}" x2="{width * CELL}" y2="{y * CELL}"/>'
            for y in range(1, height)
        ]
        parts.append(
            f'<g class="grid-lines" stroke="#d5d9e3" stroke-width="0.6">{"".join(lines)}</g>'
        )
    blocked_count = int(mask.sum())
    runs = []
    for y in range(height):
        x = 0
        while x < width:
            if mask[x, y]:
                start = x
                while x < width and mask[x, y]:
                    x += 1
                runs.append(
                    f'<rect x="{start * CELL}" y="{y * CELL}" width="{(x - start) * CELL}" '
                    f'height="{CELL}"/>'
                )
            else:
                x += 1
    parts.append(f'<g class="blocked">{"".join(runs)}</g>')

    shown = [
        (p[0] - x0, (p[1] - y0) if d > 1 else 0)
        for p in in_slice
        if x0 <= p[0] <= x1 and (d == 1 or y0 <= p[1] <= y1)
    ]
    if path:
        cells = "".join(
            f'<rect x="{x * CELL + 2}" y="{y * CELL + 2}" width="{CELL - 4}" height="{CELL - 4}" '
            'rx="2"/>'
            for x, y in shown
        )
        parts.append(f'<g class="path">{cells}</g>')
        for segment in _segments(path, x0, x1, y0, y1, fixed, d):
            points = " ".join(f"{x * CELL + CELL // 2},{y * CELL + CELL // 2}" for x, y in segment)
            parts.append(f'<polyline class="path-line" stroke-width="2" points="{points}"/>')
        for name, point in (("start", path[0]), ("end", path[-1])):
            if (
                list(point[2:]) == fixed
                and x0 <= point[0] <= x1
                and (d == 1 or y0 <= point[1] <= y1)
            ):
                cx = (point[0] - x0) * CELL + CELL // 2
                cy = ((point[1] - y0) if d > 1 else 0) * CELL + CELL // 2
                parts.append(f'<circle class="{name}" cx="{cx}" cy="{cy}" r="{CELL * 0.38:g}"/>')
    elif focus and len(focus) == d:
        fx, fy = focus[0] - x0, (focus[1] - y0) if d > 1 else 0
        if 0 <= fx < width and 0 <= fy < height:
            parts.append(
                f'<circle class="start" cx="{fx * CELL + CELL // 2}" cy="{fy * CELL + CELL // 2}" '
                f'r="{CELL * 0.38:g}"/>'
            )

    whole = width == lattice.size and (d == 1 or height == lattice.size) and d <= 2
    description = _describe(d, x0, x1, y0, y1, fixed, whole, blocked_count, path, len(shown))
    svg = (
        f'<svg class="lattice-grid" viewBox="0 0 {width * CELL} {height * CELL}" '
        f'width="{width * CELL}" height="{height * CELL}" role="img" '
        f'aria-labelledby="grid-title" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="grid-title">{escape(description)}</title>{"".join(parts)}</svg>'
    )
    # Safe: every interpolated value above is an int we computed, the title is escaped.
    return {"svg": mark_safe(svg), "description": description, "whole": whole}  # noqa: S308


def _segments(
    path: list[list[int]], x0: int, x1: int, y0: int, y1: int, fixed: list[int], d: int
) -> list[list[tuple[int, int]]]:
    """Runs of consecutive path points that are visible in the window (and the slice)."""
    segments: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for p in path:
        visible = list(p[2:]) == fixed and x0 <= p[0] <= x1 and (d == 1 or y0 <= p[1] <= y1)
        if visible:
            current.append((p[0] - x0, (p[1] - y0) if d > 1 else 0))
        elif current:
            segments.append(current)
            current = []
    if current:
        segments.append(current)
    return segments


def _describe(
    d: int,
    x0: int,
    x1: int,
    y0: int,
    y1: int,
    fixed: list[int],
    whole: bool,
    blocked: int,
    path: list[list[int]] | None,
    shown: int,
) -> str:
    if d == 1:
        where = f"Points {x0} to {x1} of the line"
    else:
        where = f"Axis 0 from {x0} to {x1} (across), axis 1 from {y0} to {y1} (down)"
        if fixed:
            where += ", other axes fixed at " + ", ".join(
                f"axis {i + 2} = {v}" for i, v in enumerate(fixed)
            )
    text = f"{'The whole lattice' if whole else where}: {blocked} blocked point"
    text += "" if blocked == 1 else "s"
    if path:
        text += f"; path of {len(path) - 1} steps, {shown} of its {len(path)} points drawn here"
    return text + "."
