"""The capacity model of a load-test run: CPU per request by process group, requests/s per
app core, users per app core; and the highest request rate of the mix (capacity phase).

CPU time comes from /proc (bench/cpu.py), for whole process trees, so a worker, backend or
Locust process that exits during the run is still counted. PostgreSQL and Redis are counted
whole (every process named `postgres`, `redis-server`): on a shared machine they include
other users' work, which is why the figures are taken on a quiet one.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cpu import GroupMeter, process_table, roots_named

GROUPS = ("app", "postgres", "redis", "nginx", "locust")
# Part of "postgres": the backends serving the run's database (per pid, so a backend
# that exits during the run is missed; the app's are kept for DB_CONN_MAX_AGE). On a
# shared machine it is the PostgreSQL figure that excludes other databases' work.
OWN_DATABASE = "postgres_db"


def meter(app: Callable[[], Iterable[int]], nginx: Callable[[], Iterable[int]]) -> GroupMeter:
    """A meter of the server side's process groups; each callable gives its root pids.

    Locust is this script's child: its CPU is read from the reaped children's time.
    """
    return GroupMeter(
        {
            "app": app,
            "postgres": lambda: roots_named("postgres", process_table()),
            "redis": lambda: roots_named("redis-server", process_table()),
            "nginx": nginx,
        }
    )


def model(
    spent: dict[str, float], *, answered: int, succeeded: int, steady_rps: float, users: int
) -> dict[str, Any]:
    """The capacity figures of one run, from CPU seconds by group and the requests served.

    CPU per request = a group's CPU seconds over the whole run / requests answered (idle
    moments cost next to nothing). requests/s per app core = successful requests per app
    CPU second: what one app core, fully busy, serves of this mix. `steady_rps` is the
    successful rate after the ramp-up; at it the app keeps steady_rps / (requests/s per
    app core) cores busy, so users per app core = users × (requests/s per app core) /
    steady_rps, valid while nothing is shed (every user's cycle of think time and answer
    runs at its own pace, not the server's).
    """
    groups = {}
    for label in (*GROUPS, OWN_DATABASE):
        seconds = spent.get(label, 0.0)
        per = seconds / answered if answered else 0.0
        groups[label] = {
            "cpu_s": round(seconds, 2),
            "cpu_ms_per_request": round(1000 * per, 3),
            "cores_at_steady_rate": round(per * steady_rps, 3),
        }
    total = sum(spent.get(label, 0.0) for label in GROUPS)
    app_s = spent.get("app", 0.0)
    per_core = succeeded / app_s if app_s else 0.0
    app_cores = steady_rps / per_core if per_core else 0.0
    return {
        "answered": answered,
        "succeeded": succeeded,
        "steady_rps": round(steady_rps, 1),
        "groups": groups,
        "total_cpu_ms_per_request": round(1000 * total / answered, 3) if answered else None,
        "rps_per_app_core": round(per_core, 1),
        "app_cores_busy": round(app_cores, 3),
        "users": users,
        "users_per_app_core": round(users / app_cores) if app_cores else None,
    }


def print_model(figures: dict[str, Any], *, wait: str, saturated: bool) -> None:
    print()
    print(
        f"capacity model: {figures['answered']} answers, {figures['succeeded']} successful, "
        f"{figures['steady_rps']} successful req/s after the ramp-up"
    )
    print(f"{'process group':<16} {'cpu s':>8} {'cpu ms/request':>15} {'cores at that rate':>19}")
    for label, row in figures["groups"].items():
        label = "  this database" if label == OWN_DATABASE else label
        print(
            f"{label:<16} {row['cpu_s']:>8.2f} {row['cpu_ms_per_request']:>15.3f} "
            f"{row['cores_at_steady_rate']:>19.3f}"
        )
    print(f"{'all':<16} {'':>8} {figures['total_cpu_ms_per_request'] or 0:>15.3f}")
    print(f"requests/s per app core: {figures['rps_per_app_core']}")
    users = figures["users_per_app_core"]
    note = " (not valid: requests were shed, the server set the pace)" if saturated else ""
    print(f"users per app core at {wait} s think time: {users}{note}")


def steady_rate(history_csv: Path, *, skip_s: float, until_s: float) -> tuple[float, float]:
    """Successful requests/s and requests/s of the Aggregated row between two run times.

    From Locust's cumulative counts in `_stats_history.csv`: the ramp-up (`skip_s`) and the
    drain at the end (from `until_s`) are left out, so the rate is the steady one.
    """
    points = []
    with history_csv.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row.get("Name") != "Aggregated":
                continue
            points.append(
                (
                    float(row["Timestamp"]),
                    int(row["Total Request Count"]),
                    int(row["Total Failure Count"]),
                )
            )
    if len(points) < 2:
        raise ValueError(f"{history_csv} holds too few samples to measure a rate")
    start = points[0][0]
    window = [p for p in points if skip_s <= p[0] - start <= until_s]
    if len(window) < 2:
        window = points
    (t0, n0, f0), (t1, n1, f1) = window[0], window[-1]
    seconds = max(t1 - t0, 1e-9)
    return ((n1 - f1) - (n0 - f0)) / seconds, (n1 - n0) / seconds


def users_for(rate: float, wait: str) -> int:
    """Users that offer `rate` requests/s at think time `wait` ('min-max' seconds).

    A user sends one request per think time plus answer; at the offered rate the answer is
    short next to seconds of thinking, so the offered rate is users / mean think time.
    """
    mean = mean_wait(wait)
    if mean <= 0:
        raise ValueError("--load needs a think time (--wait) above zero")
    return max(1, math.ceil(rate * mean))


def mean_wait(wait: str) -> float:
    low, _, high = wait.partition("-")
    return (float(low) + float(high or low)) / 2
