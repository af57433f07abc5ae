"""HTTP benchmark: what an authenticated, metered API call costs next to a bare view.

    .venv/bin/python bench/http_bench.py            # ~2 min on a warm database
    .venv/bin/python bench/http_bench.py --help     # port, workers, duration, connections...

One run starts the app under gunicorn (`gunicorn -c gunicorn.conf.py catalytic.wsgi`, the
production command) with production settings (DEBUG=false) on PostgreSQL and Redis, puts
nginx in front of it with the deployed proxy settings (deploy/nginx/proxy.conf, through
bench/nginx.py; `--direct` sends wrk straight to gunicorn instead, the way figures were
taken before nginx was part of the bench), seeds a tenant through the real API (register,
login, API key, lattice), then drives every endpoint with wrk for the same duration and
connection count:

    bare                   GET  /ping                       no-op Django view: the ceiling
    lattice_read_jwt       GET  /api/lattices/{id}          Bearer JWT (Enterprise tenant)
    lattice_read_api_key   GET  /api/lattices/{id}          X-API-Key
    lattice_path_jwt       POST /api/lattices/{id}/path     small 2-D lattice, JWT
    health                 GET  /health
    lattice_read_jwt_finite GET /api/lattices/{id}          JWT, tenant on a finite plan

and prints req/s, p50/p99, errors, the CPU time per request of the gunicorn workers, of
the PostgreSQL backends and of nginx (from /proc: steadier than req/s on a shared
machine) and each endpoint's ratio to `bare`. `--rounds N` interleaves N rounds and keeps
each endpoint's median. The last line is `lattice_read_jwt/bare = R`, the headline figure (issue 9's
target is R >= 0.30).

wrk, nginx and gunicorn share the machine's cores: that is the measurement condition the
figures in docs/performance.md were taken under. wrk and nginx come from Debian
(`apt-get install wrk nginx-light`); the script installs them when missing and running as
root.

The database (`--database`, default catalytic_bench) is created when missing, migrated
only when its migrations are behind (dj-stripe's take ~50 s), and emptied (`flush`) at
the start of every run; Redis db `--redis-db` (default 5) is flushed too. Do not point
either at data you want to keep. Results are also written as JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cpu import process_table, tree_seconds  # noqa: E402  (this folder)
from debian_tools import MissingTool, ensure_tool  # noqa: E402
from nginx import Nginx, NginxError  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = REPO / ".venv" / "bin"
RESULTS_DIR = REPO / "bench" / "results"
BENCH_PASSWORD = "bench-Lattice-password-2718"
HEADLINE = ("lattice_read_jwt", "bare")

# wrk calls done() once after the run; printing JSON between markers is sturdier than
# parsing wrk's human-readable summary (units change with magnitude: us, ms, s, k, M).
WRK_SCRIPT = """
wrk.method = {method}
wrk.body = {body}
wrk.headers["Accept"] = "application/json"
{headers}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write("WRK-JSON-BEGIN\\n")
  io.write(string.format(
    '{{"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
  io.write("WRK-JSON-END\\n")
end
"""


class BenchError(Exception):
    """The bench cannot run or cannot trust what it measured; the message says why."""


@dataclass
class Endpoint:
    name: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    expect: int = 200
    note: str = ""


@dataclass
class Result:
    name: str
    method: str
    path: str
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    error_detail: dict[str, int]
    ratio: float | None = None
    app_cpu_ms: float | None = None  # gunicorn workers' CPU per request
    db_cpu_ms: float | None = None  # PostgreSQL backends' CPU per request
    proxy_cpu_ms: float | None = None  # nginx's (master and workers) CPU per request
    rounds: list[float] = field(default_factory=list)  # req/s of every round


# --- Small HTTP client (stdlib only: the bench must not depend on the app's client libs) ---


def http(
    base: str,
    method: str,
    path: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, raw.decode(errors="replace")


def free_port_or_fail(port: int) -> None:
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            raise BenchError(f"port {port} is already in use; pass --port")


# --- wrk ------------------------------------------------------------------------------


def ensure_wrk() -> str:
    try:
        return ensure_tool("wrk")
    except MissingTool as exc:
        raise BenchError(str(exc)) from exc


def lua_string(value: str) -> str:
    # A JSON string literal is a valid Lua string literal for the characters used here.
    return json.dumps(value)


def wrk_script(endpoint: Endpoint) -> str:
    headers = "\n".join(
        f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in endpoint.headers.items()
    )
    if endpoint.body is not None:
        headers += '\nwrk.headers["Content-Type"] = "application/json"'
    body = lua_string(json.dumps(endpoint.body)) if endpoint.body is not None else "nil"
    return WRK_SCRIPT.format(method=lua_string(endpoint.method), body=body, headers=headers)


def parse_wrk_output(output: str) -> dict[str, Any]:
    start = output.find("WRK-JSON-BEGIN")
    end = output.find("WRK-JSON-END")
    if start < 0 or end < 0:
        raise BenchError(f"wrk printed no summary:\n{output}")
    return json.loads(output[start + len("WRK-JSON-BEGIN") : end])


def summarise(endpoint: Endpoint, raw: dict[str, Any]) -> Result:
    seconds = raw["duration_us"] / 1e6
    detail = {key: raw[key] for key in ("connect", "read", "write", "status", "timeout")}
    return Result(
        name=endpoint.name,
        method=endpoint.method,
        path=endpoint.path,
        requests=raw["requests"],
        rps=raw["requests"] / seconds if seconds else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        errors=sum(detail.values()),
        error_detail={key: value for key, value in detail.items() if value},
    )


def run_wrk(
    wrk: str, base: str, endpoint: Endpoint, *, seconds: float, args: argparse.Namespace
) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(wrk_script(endpoint))
        script = handle.name
    try:
        command = [
            wrk,
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            f"{args.request_timeout}s",
            "-s",
            script,
            base + endpoint.path,
        ]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
        if completed.returncode != 0:
            raise BenchError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
        return parse_wrk_output(completed.stdout)
    finally:
        os.unlink(script)


# --- The server under test --------------------------------------------------------------


def production_settings(args: argparse.Namespace, workdir: Path, hosts: str) -> dict[str, str]:
    """The production settings every benchmark runs the app with (also bench/profile_api)."""
    return {
        "DJANGO_SETTINGS_MODULE": "catalytic.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(48)[:50],
        "ALLOWED_HOSTS": hosts,
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"{args.postgres.rstrip('/')}/{args.database}",
        "REDIS_URL": f"{args.redis.rstrip('/')}/{args.redis_db}",
        "CATALYTIC_VAR_DIR": str(workdir / "var"),
        "JWT_KEYS_DIR": str(workdir / "jwt-keys"),
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
        "LOG_LEVEL": "WARNING",
    }


# gunicorn behind nginx, as docs/deploy.md (sections 5 and 7) prescribes: client addresses
# and the queue-start stamp are taken from the proxy, and the listen queue is long, so a
# burst waits for a worker and what waited longer than QUEUE_TIMEOUT_MS is answered 503
# with Retry-After by LoadSheddingMiddleware instead of having its connection dropped.
BEHIND_PROXY = {
    "TRUSTED_PROXIES": "127.0.0.1",
    "FORWARDED_ALLOW_IPS": "127.0.0.1",
    "GUNICORN_BACKLOG": "2048",
}


def server_env(args: argparse.Namespace, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_"))}
    for name in ("JWT_PRIVATE_KEY_PATH", "JWT_PUBLIC_KEY_PATH", "CATALYTIC_TESTING"):
        env.pop(name, None)
    env.update(production_settings(args, workdir, "127.0.0.1,localhost"))
    env.update(
        {
            "GUNICORN_BIND": f"127.0.0.1:{args.port}",
            "GUNICORN_WORKERS": str(args.workers),
            # The API rate limits stay on (their counting is part of a request's cost) but
            # far above what one tenant does here, so the bench never measures 429s.
            "API_RATE_ENTERPRISE": "10000000/m",
            "API_RATE_PROFESSIONAL": "10000000/m",
            "API_KEY_RATE": "10000000/m",
            "GUNICORN_GRACEFUL_TIMEOUT": "5",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if not getattr(args, "direct", True):
        env.update(BEHIND_PROXY)
    if args.access_log:
        env["GUNICORN_ACCESS_LOG"] = "-"
    env.update(dict(item.split("=", 1) for item in args.server_env))
    return env


def worker_kind(env: dict[str, str]) -> str:
    """How gunicorn.conf.py will run the workers with this environment, for the report."""
    threads = int(env.get("GUNICORN_THREADS", "1"))
    kind = env.get("GUNICORN_WORKER_CLASS") or ("sync" if threads == 1 else "gthread")
    return f"{kind} ({threads} threads)" if kind == "gthread" else kind


def make_jwt_keys(env: dict[str, str]) -> None:
    # Production refuses to invent signing keys, so the bench mints its own pair.
    from accounts.jwt_keys import generate_private_key, write_key_pair

    private = write_key_pair(Path(env["JWT_KEYS_DIR"]), generate_private_key())
    env["JWT_PRIVATE_KEY_PATH"] = str(private)
    env["JWT_PUBLIC_KEY_PATH"] = str(private).replace(".private.pem", ".public.pem")


def create_database(args: argparse.Namespace, *, recreate: bool) -> None:
    import psycopg

    with psycopg.connect(f"{args.postgres.rstrip('/')}/postgres", autocommit=True) as conn:
        if recreate:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (args.database,)
        ).fetchone()
        if not exists:
            print(f"creating database {args.database}", flush=True)
            conn.execute(f'CREATE DATABASE "{args.database}"')


def prepare_database(args: argparse.Namespace, env: dict[str, str]) -> None:
    """Create the bench database if needed, migrate only if behind, then empty it."""
    create_database(args, recreate=False)
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        print(f"migrating {args.database} (the first time: about a minute)...", flush=True)
        try:
            call_command("migrate", interactive=False, verbosity=0)
        except DatabaseError as exc:
            # The history no longer matches the code (migrations were regenerated): the
            # database is the bench's own, so start it again from nothing.
            print(f"migration failed ({exc}); recreating {args.database}", flush=True)
            connections.close_all()
            create_database(args, recreate=True)
            call_command("migrate", interactive=False, verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    from billing.seeding import seed_plans

    list(seed_plans())
    connections.close_all()

    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()


class Server:
    """gunicorn in its own process group, so teardown reaches every worker."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        Path(self.env["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "catalytic.wsgi"],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, base: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise BenchError(f"gunicorn exited at start-up:\n{self.tail()}")
            with contextlib.suppress(OSError):
                status, _ = http(base, "GET", "/health", timeout=2)
                if status == 200:
                    return
            time.sleep(0.3)
        raise BenchError(f"gunicorn did not become healthy in {timeout:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


# --- CPU accounting -------------------------------------------------------------------
# req/s on a shared machine moves with whatever else runs; CPU time per request is what
# the request itself costs, so the table shows both.

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    with contextlib.suppress(OSError):
        return [int(pid) for pid in children.read_text().split()]
    return []


def backend_pids(args: argparse.Namespace) -> list[int]:
    """PostgreSQL backends serving the bench database, other than this query's own."""
    import psycopg

    with psycopg.connect(f"{args.postgres.rstrip('/')}/postgres", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (args.database,),
        ).fetchall()
    return [row[0] for row in rows]


class CpuMeter:
    def __init__(self, server: Server, args: argparse.Namespace, proxy: Nginx | None) -> None:
        self.server, self.args, self.proxy = server, args, proxy

    def snapshot(self) -> dict[str, dict[int, float]]:
        assert self.server.process is not None
        found = {
            "app": {pid: cpu_seconds(pid) for pid in worker_pids(self.server.process.pid)},
            "db": {pid: cpu_seconds(pid) for pid in backend_pids(self.args)},
        }
        if self.proxy is not None:
            # One figure for the master and its workers, reaped ones included.
            found["proxy"] = {0: tree_seconds(self.proxy.pids()[:1], process_table())}
        return found

    @staticmethod
    def spent(before: dict[int, float], after: dict[int, float]) -> float:
        # Processes born during the run (a new backend) count from zero.
        return sum(after[pid] - before.get(pid, 0.0) for pid in after)


# --- Seeding through the real API -------------------------------------------------------


def expect(status: int, body: Any, wanted: tuple[int, ...], what: str) -> Any:
    if status not in wanted:
        raise BenchError(f"{what}: HTTP {status}, expected {wanted}: {body}")
    return body


def seed_tenant(base: str, *, label: str, plan: str) -> dict[str, str]:
    """Register a tenant, put it on `plan`, log in, mint an API key, create a lattice."""
    email = f"{label}-{secrets.token_hex(4)}@bench.example"
    company = f"Bench {label} {secrets.token_hex(3)}"
    status, body = http(
        base,
        "POST",
        "/api/tenants/register",
        body={
            "email": email,
            "password": BENCH_PASSWORD,
            "first_name": "Bench",
            "last_name": label.title(),
            "company_name": company,
            "tenant_name": company,
        },
    )
    if status == 404:
        register_through_orm(email=email, company=company, label=label)
    else:
        expect(status, body, (200, 201), "POST /api/tenants/register")
    set_plan(email, plan)

    status, body = http(
        base, "POST", "/api/tenants/login", body={"email": email, "password": BENCH_PASSWORD}
    )
    body = expect(status, body, (200,), "POST /api/tenants/login")
    access = body.get("access_token") or body.get("access")
    if not access:
        raise BenchError(f"login answered no access token: {body}")
    bearer = {"Authorization": f"Bearer {access}"}

    status, body = http(
        base,
        "POST",
        "/api/tenants/api-keys",
        body={"name": f"bench {label}", "scope": "write"},
        headers=bearer,
    )
    body = expect(status, body, (200, 201), "POST /api/tenants/api-keys")
    api_key = body.get("key") or body.get("api_key") or body.get("secret")
    if not api_key:
        raise BenchError(f"the API key response carries no key: {body}")

    status, body = http(
        base,
        "POST",
        "/api/lattices",
        body={"name": f"bench {label} 10x10", "dimensions": 2, "size": 10},
        headers=bearer,
    )
    body = expect(status, body, (200, 201), "POST /api/lattices")
    return {"access": access, "api_key": api_key, "lattice_id": str(body["id"]), "email": email}


def register_through_orm(*, email: str, company: str, label: str) -> None:
    """What POST /api/tenants/register does, for trees where that route is not wired yet."""
    from workspaces.signup import register_tenant

    print("  /api/tenants/register is not routed: registering through the ORM", flush=True)
    register_tenant(
        company_name=company,
        email=email,
        password=BENCH_PASSWORD,
        first_name="Bench",
        last_name=label.title(),
    )


def set_plan(email: str, plan_code: str) -> None:
    """Quotas must not stop the bench: put the new tenant on `plan_code` (an operator act)."""
    from billing.models import Plan, Subscription
    from tenants.models import Membership

    membership = Membership.objects.select_related("tenant").get(user__email=email)
    Subscription.objects.update_or_create(
        tenant=membership.tenant,
        defaults={"plan": Plan.objects.get(code=plan_code), "status": Subscription.Status.ACTIVE},
    )
    from django.db import connections

    connections.close_all()


def endpoints_for(main: dict[str, str], finite: dict[str, str] | None) -> list[Endpoint]:
    lattice = f"/api/lattices/{main['lattice_id']}"
    jwt = {"Authorization": f"Bearer {main['access']}"}
    found = [
        Endpoint("bare", "GET", "/ping", note="no-op Django view"),
        Endpoint("lattice_read_jwt", "GET", lattice, jwt),
        Endpoint("lattice_read_api_key", "GET", lattice, {"X-API-Key": main["api_key"]}),
        Endpoint(
            "lattice_path_jwt",
            "POST",
            f"{lattice}/path",
            jwt,
            body={"start": [0, 0], "end": [9, 9]},
        ),
        Endpoint("health", "GET", "/health"),
    ]
    if finite is not None:
        found.append(
            Endpoint(
                "lattice_read_jwt_finite",
                "GET",
                f"/api/lattices/{finite['lattice_id']}",
                {"Authorization": f"Bearer {finite['access']}"},
                note="tenant on a finite plan: the quota is checked",
            )
        )
    return found


def preflight(base: str, endpoint: Endpoint) -> None:
    # A misconfigured run would otherwise measure how fast the app says 401 or 404.
    status, body = http(
        base, endpoint.method, endpoint.path, body=endpoint.body, headers=endpoint.headers
    )
    if status != endpoint.expect:
        hint = ""
        if endpoint.name == "bare" and status == 404:
            hint = (
                "\n/ping is not routed: catalytic/urls.py needs "
                '`path("ping", ping.ping, name="ping")` (with `from catalytic import ping`)'
            )
        raise BenchError(
            f"{endpoint.name}: {endpoint.method} {endpoint.path} answered {status}, "
            f"expected {endpoint.expect}: {str(body)[:300]}{hint}"
        )


def measure(
    wrk: str,
    base: str,
    endpoints: list[Endpoint],
    server: Server,
    args: argparse.Namespace,
    proxy: Nginx | None = None,
) -> list[Result]:
    """Every endpoint once per round; with several rounds, the median round of each.

    Rounds interleave the endpoints, so a burst of unrelated load on the machine hurts
    one round of everything instead of all of one endpoint's figure.
    """
    meter = CpuMeter(server, args, proxy)
    runs: dict[str, list[Result]] = {endpoint.name: [] for endpoint in endpoints}
    for number in range(1, args.rounds + 1):
        for endpoint in endpoints:
            if args.warmup > 0:
                run_wrk(wrk, base, endpoint, seconds=args.warmup, args=args)
            before = meter.snapshot()
            raw = run_wrk(wrk, base, endpoint, seconds=args.duration, args=args)
            after = meter.snapshot()
            result = summarise(endpoint, raw)
            if result.requests:
                spent_app = meter.spent(before["app"], after["app"])
                result.app_cpu_ms = 1000 * spent_app / result.requests
                result.db_cpu_ms = 1000 * meter.spent(before["db"], after["db"]) / result.requests
                if proxy is not None:
                    spent_proxy = meter.spent(before["proxy"], after["proxy"])
                    result.proxy_cpu_ms = 1000 * spent_proxy / result.requests
            runs[endpoint.name].append(result)
            label = f"round {number}: " if args.rounds > 1 else ""
            print(f"  {label}{endpoint.name}: {result.rps:.0f} req/s", flush=True)
    chosen = []
    for endpoint in endpoints:
        ordered = sorted(runs[endpoint.name], key=lambda r: r.rps)
        median = ordered[(len(ordered) - 1) // 2]
        median.rounds = [round(r.rps, 1) for r in runs[endpoint.name]]
        chosen.append(median)
    return chosen


# --- Report -----------------------------------------------------------------------------


def print_table(results: list[Result]) -> None:
    header = (
        f"{'endpoint':<24} {'method':<6} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'errors':>7} {'app cpu ms':>10} {'db cpu ms':>9} {'nginx cpu ms':>12} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
        errors = f"{r.errors}" + (f" {r.error_detail}" if r.error_detail else "")
        app = f"{r.app_cpu_ms:.2f}" if r.app_cpu_ms is not None else "-"
        db = f"{r.db_cpu_ms:.2f}" if r.db_cpu_ms is not None else "-"
        proxy = f"{r.proxy_cpu_ms:.2f}" if r.proxy_cpu_ms is not None else "-"
        print(
            f"{r.name:<24} {r.method:<6} {r.rps:>9.1f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} "
            f"{errors:>7} {app:>10} {db:>9} {proxy:>12} {ratio:>6}"
        )


def save(results: list[Result], args: argparse.Namespace) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"http-{stamp}.json"
    payload = {
        "taken_at": stamp,
        "cpus": os.cpu_count(),
        "workers": args.workers,
        "through": "direct" if args.direct else "nginx",
        "connections": args.connections,
        "threads": args.threads,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "server_env": args.server_env,
        "results": [asdict(r) for r in results],
    }
    path.write_text(json.dumps(payload, indent=2))
    return path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8791, help="gunicorn's")
    parser.add_argument("--proxy-port", type=int, default=0, help="nginx's (default: --port + 1)")
    parser.add_argument(
        "--direct",
        action="store_true",
        help="wrk straight to gunicorn, no nginx in front (the figures before nginx)",
    )
    parser.add_argument("--workers", type=int, default=int(os.environ.get("GUNICORN_WORKERS", "2")))
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before each")
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat everything; report each endpoint's median"
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--request-timeout", type=int, default=5, help="wrk's, in seconds")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="catalytic_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser.add_argument("--redis-db", type=int, default=5)
    parser.add_argument("--plan", default="enterprise", help="the main tenant's plan")
    parser.add_argument(
        "--finite-plan",
        default="professional",
        help="plan of the second tenant (quota checked); 'none' to skip that row",
    )
    parser.add_argument(
        "--only", default="", help="comma-separated endpoint names to measure (bare always runs)"
    )
    parser.add_argument("--access-log", action="store_true", help="keep gunicorn's access log")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for gunicorn (repeatable), e.g. DB_POOL=true",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(REPO))
    try:
        wrk = ensure_wrk()
        free_port_or_fail(args.port)
        if not args.direct:
            free_port_or_fail(args.proxy_port or args.port + 1)
    except (BenchError, NginxError, subprocess.CalledProcessError) as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 2
    app_base = f"http://127.0.0.1:{args.port}"
    workdir = Path(tempfile.mkdtemp(prefix="catalytic-http-bench-"))
    env = server_env(args, workdir)
    make_jwt_keys(env)
    server = Server(env, workdir / "gunicorn.log")
    proxy = None
    if not args.direct:
        proxy_port = args.proxy_port or args.port + 1
        proxy = Nginx([f"127.0.0.1:{args.port}"], port=proxy_port, workdir=workdir / "nginx")
    base = proxy.base if proxy is not None else app_base

    def interrupted(signum: int, frame: Any) -> None:  # noqa: ARG001
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        prepare_database(args, env)
        server.start()
        server.wait_ready(app_base)
        if proxy is not None:
            proxy.start()
        wanted = {"bare", *args.only.split(",")} if args.only else set()
        if not wanted or any(name.startswith("lattice") for name in wanted):
            main_tenant = seed_tenant(base, label="main", plan=args.plan)
            finite = None
            if args.finite_plan != "none":
                finite = seed_tenant(base, label="finite", plan=args.finite_plan)
            endpoints = endpoints_for(main_tenant, finite)
        else:
            endpoints = [Endpoint("bare", "GET", "/ping"), Endpoint("health", "GET", "/health")]
        if wanted:
            endpoints = [e for e in endpoints if e.name in wanted]
        for endpoint in endpoints:
            preflight(base, endpoint)

        print(
            f"gunicorn: {args.workers} {worker_kind(env)} workers on {os.cpu_count()} CPUs, "
            f"{'reached directly' if proxy is None else f'behind nginx ({proxy.base})'}; "
            f"wrk: {args.threads} threads, {args.connections} connections, "
            f"{args.duration:g} s per endpoint after {args.warmup:g} s warm-up (same machine)",
            flush=True,
        )
        results = measure(wrk, base, endpoints, server, args, proxy)
        bare = results[0].rps
        for result in results:
            result.ratio = result.rps / bare if bare else None
        print()
        print_table(results)
        print(f"\nresults: {save(results, args).relative_to(REPO)}")
        by_name = {r.name: r for r in results}
        if HEADLINE[0] in by_name and by_name[HEADLINE[0]].ratio is not None:
            print(f"{HEADLINE[0]}/{HEADLINE[1]} = {by_name[HEADLINE[0]].ratio:.2f}")
        return 0
    except (BenchError, NginxError) as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        print(f"--- gunicorn log (last lines) ---\n{server.tail()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if proxy is not None:
            proxy.stop()
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
