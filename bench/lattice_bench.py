"""Lattice engine vs networkx and igraph on the same instances.

Run: .venv/bin/python bench/lattice_bench.py

Cases:
  1. unobstructed shortest path, 3-D n=50, corner to corner
  2. obstructed shortest path, 2-D 1000x1000, density 0.30, corner to corner
  3. unobstructed shortest path, 10-D n=100 (graph libraries cannot even build it)

Timing rules: graph libraries are charged for building the graph plus the query (that is what
answering one request costs them; the engine never builds a graph). Where obstacles are involved
the libraries also pay for computing the blocked set, using the engine's own vectorised mask so
both sides see identical obstacles. Each figure is the median of several runs (networkx, being
slow, runs once). Peak memory comes from tracemalloc in separate runs, because tracing slows
allocation-heavy code several-fold and would distort the timings. igraph allocates in C, which
tracemalloc cannot see, so no igraph memory figure is given.

Exit status is 1 if any target FAILs.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import igraph as ig
import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lattices.engine import Lattice, PathResult  # noqa: E402

RESULTS: list[tuple[str, bool, str]] = []


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median wall time of ``repeats`` calls (seconds) and the last result."""
    times, result = [], None
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def peak_memory(fn: Callable[[], Any]) -> int:
    """Peak bytes traced by tracemalloc while ``fn`` runs (Python and NumPy allocations)."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def target(name: str, ok: bool, detail: str) -> None:
    RESULTS.append((name, ok, detail))
    print(f"  [{'PASS' if ok else 'FAIL'}] {name}: {detail}")


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:,.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:,.1f} ms"
    return f"{seconds:,.2f} s"


def fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"):
        if abs(n) < 1024 or unit == "YiB":
            return f"{n:,.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def check_walk(lattice: Lattice, path: list[list[int]], start: list[int], end: list[int]) -> None:
    """Validate a path independently of the engine's search (endpoints, unit steps, free)."""
    assert path[0] == start and path[-1] == end, "wrong endpoints"
    for a, b in zip(path, path[1:], strict=False):
        assert sum(abs(x - y) for x, y in zip(a, b, strict=True)) == 1, "not a unit step"
    assert not any(lattice.blocked.is_blocked(tuple(p)) for p in path), "path crosses obstacle"


def machine() -> None:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    print(f"machine: {os.cpu_count()} CPUs, {cpu}; Python {platform.python_version()}")
    print(f"numpy {np.__version__}, networkx {nx.__version__}, igraph {ig.__version__}")


# ---------------------------------------------------------------------------------------------


def case_unobstructed_3d() -> None:
    n, d = 50, 3
    start, end = [0] * d, [n - 1] * d
    print(f"\n(1) unobstructed path, {d}-D n={n}, {start} -> {end}")
    lattice = Lattice(d, n)

    ours_t, ours = timed(lambda: lattice.path(start, end), repeats=200)
    check_walk(lattice, ours.path, start, end)

    def networkx_run() -> int:
        graph = nx.grid_graph(dim=[n] * d)
        return len(nx.shortest_path(graph, tuple(start), tuple(end))) - 1

    def igraph_run() -> int:
        graph = ig.Graph.Lattice([n] * d, circular=False)
        return len(graph.get_shortest_path(0, n**d - 1)) - 1

    nx_t, nx_len = timed(networkx_run, repeats=1)
    ig_t, ig_len = timed(igraph_run, repeats=3)
    rows = [("engine query", ours_t, ours.length), ("networkx build+query", nx_t, nx_len)]
    rows.append(("igraph build+query", ig_t, ig_len))
    for label, seconds, length in rows:
        ratio = "" if label.startswith("engine") else f"   ratio {seconds / ours_t:,.0f}x"
        print(f"  {label:<21}{fmt_time(seconds):>12}   length {length}{ratio}")
    same = ours.length == nx_len == ig_len
    target("path lengths agree (3-D)", same, f"{ours.length} / {nx_len} / {ig_len}")
    target(">=100x networkx (unobstructed)", nx_t / ours_t >= 100, f"{nx_t / ours_t:,.0f}x")


def pick_seed(n: int, density: float) -> tuple[Lattice, int]:
    """First seed >= 1 whose corners are free and connected (the engine decides; the graph
    libraries confirm the length below)."""
    for seed in range(1, 100):
        lattice = Lattice(2, n, {"density": density, "seed": seed})
        if lattice.is_blocked([0, 0]) or lattice.is_blocked([n - 1, n - 1]):
            continue
        if lattice.path([0, 0], [n - 1, n - 1]).reachable:
            return lattice, seed
    raise RuntimeError("no reachable instance among seeds 1..99")


def case_obstructed_2d() -> None:
    n, density = 1000, 0.30
    lattice, seed = pick_seed(n, density)
    start, end = [0, 0], [n - 1, n - 1]
    print(f"\n(2) obstructed path, 2-D {n}x{n}, density {density}, seed {seed}, {start} -> {end}")
    blocked_share = lattice.blocked_mask().mean()
    print(f"  blocked share of points: {blocked_share:.4f}")

    def ours_run() -> PathResult:
        return lattice.path(start, end)

    ours_t, ours = timed(ours_run, repeats=7)
    check_walk(lattice, ours.path, start, end)
    ours_mem = peak_memory(ours_run)

    def networkx_run() -> list[tuple[int, int]]:
        mask = lattice.blocked_mask()
        graph = nx.grid_2d_graph(n, n)
        graph.remove_nodes_from(map(tuple, np.argwhere(mask).tolist()))
        return nx.shortest_path(graph, tuple(start), tuple(end))

    def igraph_run() -> tuple[list[int], np.ndarray]:
        mask = lattice.blocked_mask()
        # igraph's Lattice numbers vertex (x0, x1) as x0 + n*x1, i.e. Fortran order.
        flat = mask.ravel(order="F")
        graph = ig.Graph.Lattice([n, n], circular=False)
        graph.delete_vertices(np.flatnonzero(flat))
        new_id = np.cumsum(~flat) - 1  # ids after deletion: rank among free vertices
        return graph.get_shortest_path(int(new_id[0]), int(new_id[n * n - 1])), flat

    nx_t, nx_path = timed(networkx_run, repeats=1)
    nx_mem = peak_memory(networkx_run)
    ig_t, (ig_route, ig_flat) = timed(igraph_run, repeats=3)
    # Validate the libraries' paths too (outside the timings): same obstacles, valid walks.
    check_walk(lattice, [list(p) for p in nx_path], start, end)
    free_ids = np.flatnonzero(~ig_flat)[ig_route]
    check_walk(lattice, np.stack([free_ids % n, free_ids // n], axis=1).tolist(), start, end)
    nx_len, ig_len = len(nx_path) - 1, len(ig_route) - 1

    print(
        f"  engine (mask + bidirectional BFS) {fmt_time(ours_t):>10}   length {ours.length}   "
        f"explored {ours.explored:,}   method {ours.method}   peak mem {fmt_bytes(ours_mem)}"
    )
    print(
        f"  networkx build+query              {fmt_time(nx_t):>10}   length {nx_len}   "
        f"ratio {nx_t / ours_t:,.1f}x   peak mem {fmt_bytes(nx_mem)} "
        f"({nx_mem / ours_mem:,.0f}x ours)"
    )
    print(
        f"  igraph build+query                {fmt_time(ig_t):>10}   length {ig_len}   "
        f"ratio {ig_t / ours_t:,.1f}x   peak mem: n/a (allocated in C, invisible to tracemalloc)"
    )
    same = ours.length == nx_len == ig_len
    target("path lengths agree (2-D obstructed)", same, f"{ours.length} / {nx_len} / {ig_len}")
    target(">=10x networkx (obstructed)", nx_t / ours_t >= 10, f"{nx_t / ours_t:,.1f}x")
    target(">=2x igraph (obstructed)", ig_t / ours_t >= 2, f"{ig_t / ours_t:,.1f}x")
    target(
        "<=1/10 networkx peak memory (obstructed)",
        ours_mem * 10 <= nx_mem,
        f"{fmt_bytes(ours_mem)} vs {fmt_bytes(nx_mem)} = 1/{nx_mem / ours_mem:,.0f}",
    )


def case_ten_dimensions() -> None:
    n, d = 100, 10
    start, end = [0] * d, [n - 1] * d
    lattice = Lattice(d, n)
    counts = lattice.counts()
    print(f"\n(3) unobstructed path, {d}-D n={n}, corner to corner")
    ours_t, ours = timed(lambda: lattice.path(start, end), repeats=200)
    check_walk(lattice, ours.path, start, end)
    print(f"  vertices {counts.vertices:,}   edges {counts.edges:,}")
    print(
        f"  explicit adjacency list (CSR, 8-byte ints) would need "
        f"{counts.adjacency_list_bytes:,} bytes = {fmt_bytes(counts.adjacency_list_bytes)}; "
        "networkx and igraph cannot build it"
    )
    print(f"  engine holds {counts.engine_bytes} bytes of obstacle state")
    print(f"  engine query {fmt_time(ours_t)}   length {ours.length} (diameter {counts.diameter})")
    target("10-D path length = diameter", ours.length == counts.diameter, f"{ours.length}")
    target("10-D path under 1 ms", ours_t < 1e-3, fmt_time(ours_t))


def main() -> int:
    started = time.perf_counter()
    machine()
    case_unobstructed_3d()
    case_obstructed_2d()
    case_ten_dimensions()
    failed = [name for name, ok, _ in RESULTS if not ok]
    print(f"\n{len(RESULTS) - len(failed)}/{len(RESULTS)} targets passed", end="")
    print(f"; total bench time {time.perf_counter() - started:,.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
