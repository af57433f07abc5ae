"""CPU time of process groups, from /proc: what a request costs, whatever else runs.

A group is a set of root processes and all their descendants. Its CPU time is the roots'
own time, the time of every live descendant, and the time of descendants that already
exited (the kernel adds a reaped child's time to its parent's `cutime`/`cstime`), so a
worker or backend that exits between two snapshots is still counted.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[str, int, float, float] | None:
    """(name, parent pid, own seconds, reaped children's seconds) of a process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = text[text.find("(") + 1 : text.rfind(")")]
    fields = text.rpartition(")")[2].split()
    own = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
    reaped = (int(fields[13]) + int(fields[14])) / CLOCK_TICKS  # cutime + cstime
    return name, int(fields[1]), own, reaped


def process_table() -> dict[int, tuple[str, int, float, float]]:
    """Every process readable in /proc: pid -> (name, parent, own s, reaped children's s)."""
    table = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            found = _stat(int(entry.name))
            if found is not None:
                table[int(entry.name)] = found
    return table


def tree_seconds(roots: Iterable[int], table: dict[int, tuple[str, int, float, float]]) -> float:
    """CPU seconds of `roots` and all their descendants, exited ones included."""
    children: dict[int, list[int]] = {}
    for pid, (_, parent, _, _) in table.items():
        children.setdefault(parent, []).append(pid)
    seen: set[int] = set()
    pending = [pid for pid in roots if pid in table]
    total = 0.0
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        _, _, own, reaped = table[pid]
        total += own + reaped
        pending.extend(children.get(pid, ()))
    return total


def roots_named(name: str, table: dict[int, tuple[str, int, float, float]]) -> list[int]:
    """Processes called `name` whose parent is not: each such tree counted once."""
    return [
        pid
        for pid, (comm, parent, _, _) in table.items()
        if comm == name and table.get(parent, ("",))[0] != name
    ]


class GroupMeter:
    """CPU seconds of named process groups between two snapshots.

    `groups` maps a label to a callable returning the group's root pids, evaluated at each
    snapshot (a server started later, or a postmaster found by name, is picked up). Each
    root's tree is compared with itself: a root that appears counts from zero, one that
    is gone by the second snapshot (another program's PostgreSQL, stopped meanwhile)
    counts nothing, instead of subtracting its whole life from the group.
    """

    def __init__(self, groups: dict[str, Callable[[], Iterable[int]]]) -> None:
        self.groups = groups
        self.before: dict[str, dict[int, float]] = {}

    def snapshot(self) -> dict[str, dict[int, float]]:
        table = process_table()
        found = {}
        for label, roots in self.groups.items():
            found[label] = {pid: tree_seconds([pid], table) for pid in roots() if pid in table}
        return found

    def start(self) -> None:
        self.before = self.snapshot()

    def spent(self) -> dict[str, float]:
        after = self.snapshot()
        return {
            label: sum(
                max(0.0, seconds - self.before.get(label, {}).get(pid, 0.0))
                for pid, seconds in trees.items()
            )
            for label, trees in after.items()
        }
