"""Run the Locust load test headless against a freshly started production-like server.

    .venv/bin/python loadtest/run.py --users 1000                          # 1,000 users
    .venv/bin/python loadtest/run.py --users 10000 --wait 10-30 --processes 2

One run: install Locust into .venv from loadtest/requirements.txt when it is missing;
start gunicorn (`gunicorn -c gunicorn.conf.py catalytic.wsgi`, DEBUG=false) on PostgreSQL
(database `--database`, default catalytic_loadtest, migrated when behind and emptied) and
Redis (db `--redis-db`, default 5, flushed); provision tenants, people, tokens, API keys
and lattices (loadtest/provision.py); run loadtest/locustfile.py headless; write
`loadtest/reports/<name>_stats.csv`, `_failures.csv`, `_stats_history.csv`, `.html` and
`_summary.json`; print the success rate, p95 and failures by status; stop everything.

Exit status: 0 when the run met `--target-success` (default 100.0 %), `--target-p95` (ms,
default none) and saw no 5xx; 1 otherwise; 2 when it could not run.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
REPORTS = REPO / "loadtest" / "reports"
VENV_BIN = REPO / ".venv" / "bin"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "loadtest"))

import http_bench  # noqa: E402  (the bench's server harness: same start-up, same teardown)
import provision  # noqa: E402


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


def read_statuses(pattern: str) -> Counter[int]:
    counts: Counter[int] = Counter()
    for path in glob.glob(pattern):
        for item in json.loads(Path(path).read_text()):
            counts[item["status"]] += item["count"]
        os.unlink(path)
    return counts


def server_errors_in_failures(prefix: Path) -> int:
    """5xx answers listed in Locust's failures CSV.

    The per-process status files are written from Locust's `quitting` event, which the
    worker processes of `--processes N` do not always reach; the failures CSV is written
    by the master, so it is the figure to trust there.
    """
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return 0
    found = 0
    with path.open() as handle:
        for row in csv.DictReader(handle):
            error = row.get("Error", "")
            match = re.search(r"(?:code=|answered )(5\d\d)", error)
            if match:
                found += int(row.get("Occurrences") or 0)
    return found


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
    if total:
        print(
            f"\nusers={summary['users']} success={total['success_pct']:.2f}% "
            f"p95={total['p95_ms']:.0f} ms requests={total['requests']} "
            f"5xx={summary['server_errors']}"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
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
    parser.add_argument("--port", type=int, default=8793)
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: its)")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="catalytic_loadtest")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser.add_argument("--redis-db", type=int, default=5)
    parser.add_argument("--target-success", type=float, default=100.0)
    parser.add_argument("--target-p95", type=float, default=0, help="ms; 0 = no target")
    parser.add_argument(
        "--server-env", action="append", default=[], metavar="NAME=VALUE", help="repeatable"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Every user sends its first request as it starts; a ramp faster than 100 users/s
    # piles those first requests on top of the returning users', and the offered rate
    # overshoots the steady one.
    spawn_rate = args.spawn_rate or min(100.0, max(1.0, args.users / 20))
    run_time = args.run_time or ("6m" if args.users >= 10_000 else "3m")
    name = args.name or f"users-{args.users}"
    REPORTS.mkdir(parents=True, exist_ok=True)
    prefix = REPORTS / name
    try:
        locust = ensure_locust()
        http_bench.free_port_or_fail(args.port)
    except (http_bench.BenchError, subprocess.CalledProcessError) as exc:
        print(f"load test failed: {exc}", file=sys.stderr)
        return 2
    # Every simulated user holds a socket; so does the server for each one it serves.
    open_files = raise_open_files_limit(max(4096, args.users * 2 + 1024))

    base = f"http://127.0.0.1:{args.port}"
    workdir = Path(tempfile.mkdtemp(prefix="catalytic-loadtest-"))
    bench_args = argparse.Namespace(
        port=args.port,
        workers=args.workers or (os.cpu_count() or 1) + 1,
        postgres=args.postgres,
        database=args.database,
        redis=args.redis,
        redis_db=args.redis_db,
        access_log=False,
        server_env=[
            # The load generator stands in for the reverse proxy, so client addresses
            # come from X-Forwarded-For and each simulated client is rate limited alone.
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

    def interrupted(signum: int, frame: Any) -> None:  # noqa: ARG001
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        http_bench.prepare_database(bench_args, env)
        server.start()
        server.wait_ready(base)
        identities = provision.provision(
            host=base,
            tenants=args.tenants,
            members=args.members,
            plan=args.plan,
            lattices_per_tenant=3,
        )
        identities_path = workdir / "identities.json"
        identities_path.write_text(json.dumps(identities))
        status_pattern = str(workdir / "status-*.json")
        locust_env = {
            **os.environ,
            "LOADTEST_IDENTITIES": str(identities_path),
            "LOADTEST_WAIT": args.wait,
            "LOADTEST_STATUS_FILE": str(workdir / "status-{pid}.json"),
            # Every request is a new connection (sync workers close after each
            # response), and gevent's default resolver hands each one's getaddrinfo of
            # 127.0.0.1 to a thread pool, CPU taken from the server on a shared machine.
            # An address literal needs no lookup, so resolve in the calling greenlet.
            "GEVENT_RESOLVER": "block",
        }
        command = [
            locust,
            "-f",
            str(REPO / "loadtest/locustfile.py"),
            "--headless",
            "--host",
            base,
            "-u",
            str(args.users),
            "-r",
            str(spawn_rate),
            "-t",
            run_time,
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
        if args.processes > 1:
            command += ["--processes", str(args.processes)]
        print(
            f"locust: {args.users} users (+{spawn_rate:g}/s), think time {args.wait} s, "
            f"{run_time}, {args.processes} process(es); gunicorn: {bench_args.workers} workers; "
            f"open files {open_files}",
            flush=True,
        )
        started = datetime.now(UTC)
        completed = subprocess.run(command, cwd=REPO, env=locust_env)
        summary = read_stats(prefix)
        summary.update(
            {
                "users": args.users,
                "wait": args.wait,
                "run_time": run_time,
                "spawn_rate": spawn_rate,
                "processes": args.processes,
                "gunicorn_workers": bench_args.workers,
                "started_at": started.isoformat(),
                "locust_exit": completed.returncode,
                "statuses": read_statuses(status_pattern),
            }
        )
        summary["server_errors"] = max(
            sum(n for code, n in summary["statuses"].items() if code >= 500),
            server_errors_in_failures(prefix),
        )
        Path(f"{prefix}_summary.json").write_text(json.dumps(summary, indent=2, default=str))
        print_summary(summary)
        total = summary["endpoints"].get("Aggregated", {})
        met = (
            total.get("success_pct") is not None
            and total["success_pct"] >= args.target_success
            and summary["server_errors"] == 0
            and (not args.target_p95 or (total.get("p95_ms") or 0) < args.target_p95)
        )
        print(f"reports: {prefix.relative_to(REPO)}_*.csv, {prefix.relative_to(REPO)}.html")
        return 0 if met else 1
    except (http_bench.BenchError, provision.ProvisionError) as exc:
        print(f"load test failed: {exc}", file=sys.stderr)
        print(server.tail(), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
