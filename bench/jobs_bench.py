"""Background-job benchmark: jobs/s per worker core, and the queue's overhead per job.

    .venv/bin/python bench/jobs_bench.py                     # ~1 min
    .venv/bin/python bench/jobs_bench.py --jobs 400 --workers 2

One run, on PostgreSQL and Redis as deployed (no HTTP server, no port):

1. runs the same computation (a shortest path on an obstructed 3-D lattice) `--jobs`
   times synchronously through `lattices.operations`, as a request does: the mean
   compute time per call;
2. starts `--workers` Celery worker processes (`celery -A catalytic worker
   --concurrency=1` each, the production command), submits the same number of jobs
   through `lattices.jobs.submit` (the API's path: row, commit, broker message) and
   waits until every job row has ended;

and prints jobs/s, jobs/s per worker core, and the overhead per job: a worker core's
time per job minus the synchronous compute time (claim, broker round trip, result
store), plus the mean wait in the queue and the mean submit-to-end latency.

Workers and this script share the machine's cores; read figures relative to each other.
The database (`--database`, default catalytic_jobs_bench) is created when missing and
migrated, and its job rows are deleted at each run; Redis db `--redis-db` (default 6) is
flushed. Do not point either at data you want to keep.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = "postgresql://postgres@127.0.0.1:5432"


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1, help="worker processes (cores)")
    parser.add_argument("--database", default="catalytic_jobs_bench")
    parser.add_argument("--redis-db", type=int, default=6)
    parser.add_argument("--size", type=int, default=40, help="points per axis (3-D lattice)")
    return parser.parse_args()


def configure(args: argparse.Namespace) -> dict[str, str]:
    env = {
        "DATABASE_URL": f"{PG}/{args.database}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{args.redis_db}",
        "DEBUG": "false",
        "SECRET_KEY": "jobs-bench-" + os.urandom(16).hex(),
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    os.environ.update(env)
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalytic.settings")
    subprocess.run(
        ["psql", f"{PG}/postgres", "-qc", f"CREATE DATABASE {args.database}"],
        capture_output=True,
    )  # already there: fine
    subprocess.run(
        ["redis-cli", "-n", str(args.redis_db), "flushdb"], check=True, capture_output=True
    )
    subprocess.run(
        [sys.executable, "manage.py", "init_db"], cwd=ROOT, check=True, capture_output=True
    )
    return env


def start_workers(count: int, env: dict[str, str], log_dir: Path) -> list[subprocess.Popen]:
    workers = []
    for index in range(count):
        log = log_dir / f"jobs-bench-worker-{index}.log"
        workers.append(
            subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "catalytic", "worker",
                 "--loglevel=WARNING", "--concurrency=1", f"--hostname=bench{index}@%h",
                 "--without-gossip", "--without-mingle"],
                cwd=ROOT, env={**os.environ, **env}, stdout=log.open("wb"),
                stderr=subprocess.STDOUT, start_new_session=True,
            )
        )  # fmt: skip
    return workers


def main() -> None:
    args = parse()
    env = configure(args)
    sys.path.insert(0, str(ROOT))
    # Django reads the environment configure() just set: the app's modules load after it.
    import django

    django.setup()
    from billing.models import Plan, Subscription
    from lattices import jobs, operations, services
    from lattices.models import Job, Lattice
    from tenants.context import AuthContext
    from tenants.models import Role, Tenant

    def caller(tenant: Tenant) -> AuthContext:
        # The bench acts for the tenant, as an API key would, without a key row.
        return AuthContext.of_tenant(tenant, role=Role.MEMBER, method="api_key")

    Job.objects.all().delete()
    Lattice.objects.filter(name="jobs-bench").delete()
    enterprise = Plan.objects.get(code="enterprise")
    # Enterprise runs 20 jobs at once per tenant: enough tenants to submit every job at once.
    tenants = []
    for index in range((args.jobs + 19) // 20):
        tenant, _ = Tenant.objects.get_or_create(
            slug=f"jobs-bench-{index}",
            defaults={"name": f"Jobs bench {index}", "billing_email": "bench@bench.example"},
        )
        Subscription.objects.update_or_create(
            tenant=tenant, defaults={"plan": enterprise, "status": "active"}
        )
        tenant.refresh_from_db()  # its subscription as just stored
        lattice = services.create_lattice(
            caller(tenant),
            name="jobs-bench",
            dimensions=3,
            size=args.size,
            obstacles={"density": 0.3, "seed": 11},
        )
        tenants.append((tenant, lattice))
    start, end = [0, 0, 0], [args.size - 1] * 3
    kwargs = {"start": start, "end": end}

    tenant, lattice = tenants[0]
    operations.find_path(caller(tenant), lattice, **kwargs)  # warm
    began = time.perf_counter()
    for _ in range(args.jobs):
        operations.find_path(caller(tenant), lattice, **kwargs)
    sync_seconds = (time.perf_counter() - began) / args.jobs

    log_dir = ROOT / "var"
    log_dir.mkdir(exist_ok=True)
    workers = start_workers(args.workers, env, log_dir)
    try:
        time.sleep(5)  # the workers connect and start their pools
        began = time.perf_counter()
        for index in range(args.jobs):
            tenant, lattice = tenants[index // 20]
            jobs.submit(caller(tenant), lattice, kind="path", request=kwargs)
        while Job.objects.filter(status__in=Job.ACTIVE).exists():
            time.sleep(0.05)
        wall = time.perf_counter() - began
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)

    rows = list(Job.objects.values("status", "created_at", "started_at", "finished_at"))
    failed = sum(1 for row in rows if row["status"] != "succeeded")
    waits = [(r["started_at"] - r["created_at"]).total_seconds() for r in rows if r["started_at"]]
    latencies = [(r["finished_at"] - r["created_at"]).total_seconds() for r in rows]
    per_second = args.jobs / wall
    per_core = per_second / args.workers
    core_seconds_per_job = wall * args.workers / args.jobs
    overhead = core_seconds_per_job - sync_seconds
    ratio = core_seconds_per_job / sync_seconds
    wait_ms = statistics.mean(waits) * 1000
    latency_ms = statistics.mean(latencies) * 1000
    print(f"computation: 3-D lattice n={args.size}, density 0.3, corner to corner")
    print(f"synchronous: {sync_seconds * 1000:.2f} ms per call ({1 / sync_seconds:.1f} calls/s)")
    print(f"jobs:        {args.jobs} on {args.workers} worker(s) in {wall:.2f} s, {failed} failed")
    print(f"jobs/s:      {per_second:.1f} ({per_core:.1f} per worker core)")
    print(f"overhead:    {overhead * 1000:.2f} ms per job ({ratio:.2f}x the synchronous call)")
    print(f"queue wait:  mean {wait_ms:.0f} ms; submit to end mean {latency_ms:.0f} ms")


if __name__ == "__main__":
    main()
