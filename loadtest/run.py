"""Run the Locust load test headless against a freshly started production-like server.

    .venv/bin/python loadtest/run.py --users 1000 --wait 2-5 --target-p95 250
    .venv/bin/python loadtest/run.py --load 0.8        # 80 % of the capacity it measures
    .venv/bin/python loadtest/run.py --users 10000 --wait 10-30 --processes 2 --graceful

One run: install Locust into .venv from loadtest/requirements.txt when it is missing;
start gunicorn (`gunicorn -c gunicorn.conf.py catalytic.wsgi`, DEBUG=false) on PostgreSQL
(database `--database`, default catalytic_loadtest, migrated when behind and emptied) and
Redis (db `--redis-db`, default 5, flushed), behind nginx with the deployed proxy settings
(bench/nginx.py; `--direct` for none); provision tenants, people, tokens, API keys and
lattices (loadtest/provision.py); with `--load F`, first measure the capacity of the mix
(a short phase with no think time), then offer F times it; run loadtest/locustfile.py
headless; write `loadtest/reports/<name>_stats.csv`, `_failures.csv`,
`_stats_history.csv`, `.html` and `_summary.json`; print the success rate, p95, failures
by status, the capacity model (CPU per request by process group, requests/s per app core,
users per app core) and whether the database holds every metered call and operation
Locust saw answered (nothing lost); stop everything.

Exit status: 0 when the run met its targets, 1 otherwise, 2 when it could not run. Always
required: no 5xx other than shed 503s, no request left unanswered (timeouts), nothing
lost. Then either `--target-success` (default 100.0 %) and `--target-p95` (ms; default
none, 100 with `--load` up to 1), or with `--graceful` (implied by `--load` above 1):
every failure a 503 with Retry-After answered within `--max-shed-ms`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
REPORTS = REPO / "loadtest" / "reports"
VENV_BIN = REPO / ".venv" / "bin"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "loadtest"))

import capacity  # noqa: E402
import http_bench  # noqa: E402  (the bench's server harness: same start-up, same teardown)
import ledger  # noqa: E402
import provision  # noqa: E402
from cpu import process_table, tree_seconds  # noqa: E402
from nginx import Nginx, NginxError  # noqa: E402


def ensure_locust() -> str:
    locust = VENV_BIN / "locust"
    if not locust.exists():
        print("installing Locust into .venv (loadtest/requirements.txt)...", flush=True)
        subprocess.run(
            [str(VENV_BIN / "pip"), "install", "-q", "-r", str(REPO / "loadtest/requirements.txt")],
            check=True,
        )
    return str(locust)


def raise_open_files_limit(wanted: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def read_stats(prefix: Path) -> dict[str, Any]:
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_name = {}
    for row in rows:
        requests = int(row["Request Count"])
        failures = int(row["Failure Count"])
        by_name[row["Name"]] = {
            "method": row["Type"],
            "requests": requests,
            "failures": failures,
            "success_pct": 100.0 * (requests - failures) / requests if requests else None,
            "median_ms": float(row["Median Response Time"] or 0),
            "p95_ms": float(row["95%"] or 0) if row["95%"] != "N/A" else None,
            "p99_ms": float(row["99%"] or 0) if row["99%"] != "N/A" else None,
            "max_ms": float(row["Max Response Time"] or 0),
            "rps": float(row["Requests/s"] or 0),
        }
    failures = []
    with open(f"{prefix}_failures.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            failures.append(
                {
                    "name": f"{row['Method']} {row['Name']}",
                    "error": row["Error"],
                    "count": int(row["Occurrences"]),
                }
            )
    return {"endpoints": by_name, "failures": failures}


def failure_statuses(prefix: Path) -> Counter[int]:
    """Status codes of the failures in Locust's failures CSV (written by the master).

    A cross-check of the per-process result files: whichever way a worker process ends,
    the master's CSV holds every failure its stats reports carried.
    """
    path = Path(f"{prefix}_failures.csv")
    found: Counter[int] = Counter()
    if not path.exists():
        return found
    with path.open() as handle:
        for row in csv.DictReader(handle):
            match = re.search(r"(?:code=|answered )(\d\d\d)", row.get("Error", ""))
            if match:
                found[int(match.group(1))] += int(row.get("Occurrences") or 0)
    return found


def default_workers() -> int:
    """One gunicorn worker per core, not gunicorn.conf.py's cores + 1.

    That extra worker keeps a dedicated app node's cores busy while one waits on the
    database; here PostgreSQL, Redis, nginx and Locust share the cores, and the extra
    worker mostly adds switching. On 2 cores, alternating runs: at 1,083 users (0.8 of the
    mix's capacity) 2 workers spent 3.35 and 3.28 ms of app CPU per request, p95 180 and
    84 ms, where 3 spent 3.97 and 3.67 ms, p95 250 and 120 ms; at 1,000 users 2 workers
    4.00 and 3.19 ms, p95 220 and 46 ms, where 3 spent 4.11 and 3.58 ms, p95 100 and 43 ms.
    """
    return os.cpu_count() or 1


def seconds_of(run_time: str) -> float:
    """Seconds in a Locust run time: "90", "30s", "3m", "1h30m"."""
    if run_time.strip().isdigit():
        return float(run_time)
    units = {"h": 3600, "m": 60, "s": 1}
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([hms])", run_time)
    if not parts:
        raise ValueError(f"not a run time: {run_time!r} (e.g. 30s, 3m, 1h30m)")
    return sum(float(n) * units[unit] for n, unit in parts)


def print_summary(summary: dict[str, Any]) -> None:
    total = summary["endpoints"].get("Aggregated", {})
    print()
    print(f"{'request':<44} {'count':>8} {'fail':>6} {'ok %':>8} {'p50':>6} {'p95':>6} {'p99':>6}")
    for name, row in summary["endpoints"].items():
        ok = f"{row['success_pct']:.2f}" if row["success_pct"] is not None else "-"
        label = name if name == "Aggregated" else f"{row['method']} {name}"
        print(
            f"{label[:44]:<44} {row['requests']:>8} {row['failures']:>6} {ok:>8} "
            f"{row['median_ms']:>6.0f} {row['p95_ms'] or 0:>6.0f} {row['p99_ms'] or 0:>6.0f}"
        )
    print()
    print(f"status codes: {dict(sorted(summary['statuses'].items()))}")
    for failure in summary["failures"][:15]:
        print(f"  failure x{failure['count']}: {failure['name']}: {failure['error'][:160]}")
    shed = summary["shed"]
    print(
        f"shed: {shed['count']} x 503 (without Retry-After: {shed['without_retry_after']}, "
        f"slowest {shed['max_ms']:.0f} ms); unanswered: {summary['unanswered'] or 0}"
    )
    if total:
        print(
            f"\nusers={summary['users']} success={total['success_pct']:.2f}% "
            f"p95={total['p95_ms']:.0f} ms requests={total['requests']} "
            f"5xx={summary['server_errors']} shed={shed['count']} "
            f"timeouts={summary['timeouts']}"
        )


def print_ledger(check: dict[str, Any]) -> None:
    if check["nothing_lost"]:
        print(
            f"nothing lost: usage counters grew by {check['counted']} for "
            f"{check['metered_answers']} metered calls answered; "
            f"{check['operations_stored']} successful operations stored for "
            f"{check['operations_2xx']} answered 2xx; lattices as created"
        )
        return
    print(f"MISMATCH between the database and Locust ({len(check['mismatches'])}):")
    for line in check["mismatches"][:20]:
        print(f"  {line}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=0, help="default 1000; with --load, computed")
    parser.add_argument(
        "--spawn-rate", type=float, default=0, help="users/s (default users/20, at most 100)"
    )
    parser.add_argument("--run-time", default="", help="Locust's -t (default 3m; 6m at 10k+)")
    parser.add_argument("--wait", default="1-5", help="think time in seconds, 'min-max'")
    parser.add_argument("--processes", type=int, default=1, help="Locust worker processes")
    parser.add_argument("--name", default="", help="report file prefix (default users-<N>)")
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--members", type=int, default=4)
    parser.add_argument("--plan", default="professional")
    parser.add_argument("--port", type=int, default=8793, help="gunicorn's")
    parser.add_argument("--proxy-port", type=int, default=0, help="nginx's (default --port + 1)")
    parser.add_argument("--direct", action="store_true", help="Locust straight to gunicorn")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="gunicorn workers (default: one per core; see default_workers)",
    )
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="catalytic_loadtest")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser.add_argument("--redis-db", type=int, default=5)
    parser.add_argument("--target-success", type=float, default=None, help="%% (default 100)")
    parser.add_argument("--target-p95", type=float, default=None, help="ms; 0 = no target")
    load = parser.add_argument_group("offered load against the measured capacity")
    load.add_argument(
        "--load",
        type=float,
        default=0,
        help="offer this fraction of the capacity the run measures first (0.8, 1.5)",
    )
    load.add_argument("--capacity", type=float, default=0, help="req/s: skip measuring it")
    load.add_argument("--capacity-users", type=int, default=64, help="users, no think time")
    load.add_argument("--capacity-time", default="40s", help="the capacity phase's length")
    load.add_argument(
        "--graceful",
        action="store_true",
        help="overload expected: only fast 503 + Retry-After may fail (implied by --load > 1)",
    )
    load.add_argument("--max-shed-ms", type=float, default=5000, help="slowest 503 allowed")
    load.add_argument(
        "--drain", type=float, default=10, help="seconds at the end with nothing sent"
    )
    parser.add_argument(
        "--server-env", action="append", default=[], metavar="NAME=VALUE", help="repeatable"
    )
    args = parser.parse_args(argv)
    if args.load and args.users:
        parser.error("--load computes the users from the measured capacity: drop --users")
    args.graceful = args.graceful or args.load > 1
    if args.target_success is None:
        args.target_success = 0.0 if args.graceful else 100.0
    if args.target_p95 is None:
        args.target_p95 = 100.0 if 0 < args.load <= 1 else 0.0
    return args


@dataclass
class Phase:
    """One Locust run against the server already started."""

    name: str
    users: int
    wait: str
    run_time: str
    spawn_rate: float
    extra_env: dict[str, str]


@dataclass
class Harness:
    """What every phase runs against and with."""

    args: argparse.Namespace
    locust: str
    base: str
    workdir: Path
    identities_path: Path
    server: http_bench.Server
    proxy: Nginx | None


def database_backends(args: argparse.Namespace) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to the run's database."""
    return {pid: http_bench.cpu_seconds(pid) for pid in http_bench.backend_pids(args)}


def run_phase(h: Harness, phase: Phase) -> dict[str, Any]:
    """Run Locust once; its stats, what each process recorded, and the CPU it all cost."""
    prefix = REPORTS / phase.name
    results = h.workdir / f"{phase.name}-results"
    run_seconds = seconds_of(phase.run_time)
    drain = min(h.args.drain, run_seconds / 4)
    locust_env = {
        **os.environ,
        "LOADTEST_IDENTITIES": str(h.identities_path),
        "LOADTEST_WAIT": phase.wait,
        "LOADTEST_RESULTS_FILE": str(results / "{pid}.json"),
        "LOADTEST_RUN_SECONDS": f"{run_seconds:g}",
        "LOADTEST_DRAIN_SECONDS": f"{drain:g}",
        # Every request is a new connection when gunicorn is reached directly (sync
        # workers close after each response), and gevent's default resolver hands each
        # one's getaddrinfo of 127.0.0.1 to a thread pool, CPU taken from the server on a
        # shared machine. An address literal needs no lookup: resolve in the greenlet.
        "GEVENT_RESOLVER": "block",
        **phase.extra_env,
    }
    command = [
        h.locust,
        "-f",
        str(REPO / "loadtest/locustfile.py"),
        "--headless",
        "--host",
        h.base,
        "-u",
        str(phase.users),
        "-r",
        f"{phase.spawn_rate:g}",
        "-t",
        phase.run_time,
        "--stop-timeout",
        "30",
        "--csv",
        str(prefix),
        "--csv-full-history",
        "--html",
        f"{prefix}.html",
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    if h.args.processes > 1:
        command += ["--processes", str(h.args.processes)]
    print(
        f"locust [{phase.name}]: {phase.users} users (+{phase.spawn_rate:g}/s), think time "
        f"{phase.wait} s, {phase.run_time}, {h.args.processes} process(es), through "
        f"{'nginx' if h.proxy else 'nothing (direct)'}; open files "
        f"{resource.getrlimit(resource.RLIMIT_NOFILE)[0]}",
        flush=True,
    )
    app_pid = h.server.process.pid if h.server.process else 0
    meter = capacity.meter(
        app=lambda: [app_pid], nginx=lambda: h.proxy.pids()[:1] if h.proxy else []
    )
    meter.start()
    backends = database_backends(h.args)
    started = datetime.now(UTC)
    clock = time.monotonic()
    # Locust is this process's only child to exit meanwhile, so the growth of the reaped
    # children's CPU time is Locust's; its worker processes are in it only if their
    # master waited for them, so the tree is also sampled while it runs and the larger
    # figure kept.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(command, cwd=REPO, env=locust_env)
    sampled = 0.0
    while process.poll() is None:
        sampled = max(sampled, tree_seconds([process.pid], process_table()))
        time.sleep(1.0)
    wall = time.monotonic() - clock
    spent = meter.spent()
    spent[capacity.OWN_DATABASE] = sum(
        seconds - backends.get(pid, 0.0) for pid, seconds in database_backends(h.args).items()
    )
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    waited = (reaped.ru_utime + reaped.ru_stime) - (children.ru_utime + children.ru_stime)
    spent["locust"] = max(waited, sampled)
    returncode = process.returncode
    return {
        "prefix": prefix,
        "stats": read_stats(prefix),
        "record": ledger.read_records(str(results / "*.json")),
        "spent": spent,
        "wall_s": wall,
        "run_s": run_seconds,
        "drain_s": drain,
        "started_at": started.isoformat(),
        "locust_exit": returncode,
        "locust_cpu": {"waited_s": round(waited, 2), "sampled_s": round(sampled, 2)},
    }


def measure_capacity(h: Harness, name: str) -> float:
    """Successful requests/s of the mix at saturation: many users, no think time."""
    users = h.args.capacity_users
    phase = Phase(
        name=f"{name}-capacity",
        users=users,
        wait="0",
        run_time=h.args.capacity_time,
        spawn_rate=float(users),
        # The same share of password sign-ins as at 1,000 users, signed in at once.
        extra_env={
            "LOADTEST_SESSION_USERS": str(max(1, users // 10)),
            "LOADTEST_LOGIN_SPREAD": "2",
        },
    )
    ran = run_phase(h, phase)
    ok_rps, rps = capacity.steady_rate(
        Path(f"{ran['prefix']}_stats_history.csv"),
        skip_s=min(10.0, ran["run_s"] / 4),
        until_s=ran["run_s"] - ran["drain_s"],
    )
    answered = sum(ran["record"].statuses().values())
    cost = ", ".join(
        f"{label} {1000 * ran['spent'].get(label, 0.0) / max(1, answered):.2f}"
        for label in (*capacity.GROUPS, capacity.OWN_DATABASE)
    )
    print(
        f"capacity of the mix: {ok_rps:.1f} successful requests/s ({rps:.1f} answered) "
        f"with {users} users and no think time; CPU ms per request: {cost}",
        flush=True,
    )
    return ok_rps


def summarise(
    h: Harness, phase: Phase, ran: dict[str, Any], check: dict[str, Any]
) -> dict[str, Any]:
    record: ledger.LocustRecord = ran["record"]
    statuses = record.statuses()
    unanswered = statuses.pop(0, 0)
    # The master's failures CSV is the cross-check for the per-process files.
    for code, count in failure_statuses(ran["prefix"]).items():
        statuses[code] = max(statuses[code], count)
    timeouts = sum(n for error, n in record.unanswered.items() if "imeout" in error)
    summary = ran["stats"]
    total = summary["endpoints"].get("Aggregated", {})
    answered = sum(statuses.values())
    succeeded = sum(n for code, n in statuses.items() if 200 <= code < 300)
    saturated = bool(statuses.get(503)) or (total.get("success_pct") or 0) < 100
    # The steady rate: after every user started, before the drain at the end.
    ramp = phase.users / phase.spawn_rate if phase.spawn_rate else 0.0
    steady_rps, _ = capacity.steady_rate(
        Path(f"{ran['prefix']}_stats_history.csv"),
        skip_s=min(ramp + 5, ran["run_s"] / 2),
        until_s=ran["run_s"] - ran["drain_s"],
    )
    figures = capacity.model(
        ran["spent"],
        answered=answered,
        succeeded=succeeded,
        steady_rps=steady_rps,
        users=phase.users,
    )
    summary.update(
        {
            "users": phase.users,
            "wait": phase.wait,
            "run_time": phase.run_time,
            "spawn_rate": phase.spawn_rate,
            "processes": h.args.processes,
            "gunicorn_workers": h.args.workers or default_workers(),
            "through": "direct" if h.proxy is None else "nginx",
            "started_at": ran["started_at"],
            "locust_exit": ran["locust_exit"],
            "locust_cpu": ran["locust_cpu"],
            "statuses": dict(statuses),
            "server_errors": sum(n for code, n in statuses.items() if code >= 500 and code != 503),
            "shed": {
                "count": statuses.get(503, 0),
                "without_retry_after": record.shed_without_retry_after,
                "max_ms": record.shed_max_ms,
            },
            "unanswered": dict(record.unanswered),
            "timeouts": timeouts,
            "unanswered_total": unanswered,
            "capacity": figures,
            "saturated": saturated,
            "ledger": check,
        }
    )
    return summary


def targets_met(args: argparse.Namespace, summary: dict[str, Any]) -> list[str]:
    """What the run missed; empty when it met every target."""
    total = summary["endpoints"].get("Aggregated", {})
    missed = []
    if summary["server_errors"]:
        missed.append(f"{summary['server_errors']} answers 5xx other than shed 503s")
    if summary["unanswered_total"]:
        missed.append(f"{summary['unanswered_total']} requests unanswered {summary['unanswered']}")
    if not summary["ledger"]["nothing_lost"]:
        missed.append("the database does not match what Locust saw answered")
    success = total.get("success_pct")
    if success is None:
        missed.append("no requests")
    elif success < args.target_success:
        missed.append(f"success {success:.2f} % < {args.target_success:g} %")
    if args.target_p95 and (total.get("p95_ms") or 0) >= args.target_p95:
        missed.append(f"p95 {total.get('p95_ms'):.0f} ms >= {args.target_p95:g} ms")
    if args.graceful:
        shed = summary["shed"]
        others = {
            code: n
            for code, n in summary["statuses"].items()
            if not (200 <= code < 300) and code != 503
        }
        if others:
            missed.append(f"failures other than 503: {others}")
        if shed["without_retry_after"]:
            missed.append(f"{shed['without_retry_after']} x 503 without Retry-After")
        if shed["max_ms"] > args.max_shed_ms:
            missed.append(f"slowest 503 took {shed['max_ms']:.0f} ms > {args.max_shed_ms:g}")
    return missed


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    proxy_port = args.proxy_port or args.port + 1
    try:
        locust = ensure_locust()
        http_bench.free_port_or_fail(args.port)
        if not args.direct:
            http_bench.free_port_or_fail(proxy_port)
    except (http_bench.BenchError, NginxError, subprocess.CalledProcessError) as exc:
        print(f"load test failed: {exc}", file=sys.stderr)
        return 2
    REPORTS.mkdir(parents=True, exist_ok=True)
    # Every simulated user holds a socket, and so does nginx for each one: raised before
    # nginx and gunicorn start, so they inherit it (with --load the users are not known
    # yet, hence the most allowed).
    raise_open_files_limit(1 << 20 if args.load else max(4096, (args.users or 1000) * 2 + 1024))
    workdir = Path(tempfile.mkdtemp(prefix="catalytic-loadtest-"))
    bench_args = argparse.Namespace(
        port=args.port,
        workers=args.workers or default_workers(),
        postgres=args.postgres,
        database=args.database,
        redis=args.redis,
        redis_db=args.redis_db,
        access_log=False,
        direct=args.direct,
        server_env=[
            # Client addresses come from X-Forwarded-For (added by nginx, or sent by the
            # load generator itself with --direct), so each simulated client is rate
            # limited alone.
            "TRUSTED_PROXIES=127.0.0.1",
            "FORWARDED_ALLOW_IPS=127.0.0.1",
            # Pre-provisioned access tokens must outlive the run (15 min by default).
            "JWT_ACCESS_TTL_SECONDS=3600",
            # As behind the proxy that stamps X-Request-Start (docs/deploy.md): a deep
            # listen queue, so a burst waits instead of having its SYNs dropped (which
            # clients retry 1, 3, 7 s later: timeouts), and LoadSheddingMiddleware answers
            # 503 at once to whatever waited longer than QUEUE_TIMEOUT_MS. Gunicorn's
            # default of 64 drops SYNs under a 10,000-user burst (docs/performance.md).
            "GUNICORN_BACKLOG=2048",
            *args.server_env,
        ],
    )
    env = http_bench.server_env(bench_args, workdir)
    http_bench.make_jwt_keys(env)
    server = http_bench.Server(env, workdir / "gunicorn.log")
    app_base = f"http://127.0.0.1:{args.port}"
    proxy = None
    if not args.direct:
        proxy = Nginx([f"127.0.0.1:{args.port}"], port=proxy_port, workdir=workdir / "nginx")

    def interrupted(signum: int, frame: Any) -> None:  # noqa: ARG001
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    job_worker: subprocess.Popen | None = None
    try:
        http_bench.prepare_database(bench_args, env)
        server.start()
        server.wait_ready(app_base)
        # The background jobs of AsyncJobProgram run here, as `celery -A catalytic worker`.
        job_worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "catalytic", "worker",
             "--loglevel=WARNING", "--concurrency=1", "--without-gossip", "--without-mingle"],
            cwd=REPO, env=env, stdout=(workdir / "celery.log").open("wb"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        if proxy is not None:
            proxy.start()
        base = proxy.base if proxy is not None else app_base
        identities = provision.provision(
            host=base,
            tenants=args.tenants,
            members=args.members,
            plan=args.plan,
            lattices_per_tenant=3,
        )
        identities_path = workdir / "identities.json"
        identities_path.write_text(json.dumps(identities))
        tenant_ids = [team["id"] for team in identities["tenants"]]
        h = Harness(args, locust, base, workdir, identities_path, server, proxy)

        users = args.users or 1000
        name = args.name or f"users-{users}"
        offered = None
        if args.load:
            name = args.name or f"load-{args.load:g}"
            measured = args.capacity or measure_capacity(h, name)
            offered = args.load * measured
            users = capacity.users_for(offered, args.wait)
            print(
                f"load {args.load:g} x capacity {measured:.1f} req/s: offering "
                f"{offered:.1f} requests/s = {users} users / {capacity.mean_wait(args.wait):g} s "
                "mean think time",
                flush=True,
            )
        # Every user sends its first request as it starts; a ramp faster than 100 users/s
        # piles those first requests on top of the returning users', and the offered rate
        # overshoots the steady one.
        spawn_rate = args.spawn_rate or min(100.0, max(1.0, users / 20))
        run_time = args.run_time or ("6m" if users >= 10_000 else "3m")
        extra_env = {}
        if args.load:
            # The mix the capacity was measured with: a tenth of the users sign in with
            # passwords (the fixed 100 would be a quarter of 400 users, and each login
            # costs a deliberate password hash).
            extra_env["LOADTEST_SESSION_USERS"] = str(max(1, users // 10))
        phase = Phase(name, users, args.wait, run_time, spawn_rate, extra_env)

        before = ledger.snapshot(tenant_ids)
        ran = run_phase(h, phase)
        check = ledger.compare(before, ledger.snapshot(tenant_ids), ran["record"])
        summary = summarise(h, phase, ran, check)
        if offered is not None:
            summary["load"] = {"fraction": args.load, "offered_rps": round(offered, 1)}
        missed = targets_met(args, summary)
        summary["targets_missed"] = missed
        prefix = ran["prefix"]
        Path(f"{prefix}_summary.json").write_text(json.dumps(summary, indent=2, default=str))
        print_summary(summary)
        capacity.print_model(summary["capacity"], wait=args.wait, saturated=summary["saturated"])
        print()
        print_ledger(check)
        for line in missed:
            print(f"target missed: {line}")
        print(f"reports: {prefix.relative_to(REPO)}_*.csv, {prefix.relative_to(REPO)}.html")
        return 1 if missed else 0
    except (http_bench.BenchError, provision.ProvisionError, NginxError, ValueError) as exc:
        print(f"load test failed: {exc}", file=sys.stderr)
        print(server.tail(), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if proxy is not None:
            proxy.stop()
        if job_worker is not None:
            job_worker.terminate()
            job_worker.wait(timeout=60)
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
