"""The two-node cluster (tests/multinode/harness.py), started once for the module.

It runs in the PostgreSQL + Redis run of the suite and is skipped in the embedded one
(SQLite, local memory), like every test that needs the real servers. Missing binaries
(initdb, redis-server, nginx, iproute2) or no root skip it with the reason, except under
CI=true, where it must run. With MULTINODE_KEEP_LOGS=1 (and `-s`) the work folder, with
each node's gunicorn log, nginx's error.log and postgres.log, is kept and its path printed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.conftest import free_port, missing
from tests.multinode.harness import (
    NODE_PORT,
    PASSWORD,
    Cluster,
    Front,
    Network,
    Node,
    SharedPostgres,
    SharedRedis,
    load_bench_nginx,
)

# One account (and tenant) per test, so that no test spends another's login allowance,
# quota or sessions. Plan codes as in billing/plans.py.
ACCOUNTS = {
    "sessions": "enterprise:sessions@nodes.example",
    "keys": "enterprise:keys@nodes.example",
    "quota": "free:quota@nodes.example",
    "ratelimit": "enterprise:ratelimit@nodes.example",
    "kill": "enterprise:kill@nodes.example",
}
# Login attempts allowed per address and per email; low enough for the test to reach.
LOGIN_LIMIT = 6
JWT_KEYS_RECHECK_SECONDS = 1


def needs_postgres_and_redis() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        pytest.skip("two app nodes share PostgreSQL: runs with DATABASE_URL=postgresql://...")
    if not os.environ.get("REDIS_URL"):
        pytest.skip("two app nodes share Redis: runs with REDIS_URL set")


def base_env(base: Path, keys: Path, hosts: list) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "DJANGO_", "GUNICORN_", "JWT_"))
        and key not in ("CATALYTIC_TESTING", "PROMETHEUS_MULTIPROC_DIR")
    }
    gateways = ",".join(host.gateway for host in hosts)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "catalytic.settings",
            "DEBUG": "false",
            "SECRET_KEY": "multinode-" + "n" * 48,
            "ALLOWED_HOSTS": ",".join(["127.0.0.1", *(host.address for host in hosts)]),
            "SECURE_SSL_REDIRECT": "false",
            # nginx reaches each node from the root side of that node's link.
            "TRUSTED_PROXIES": gateways,
            "FORWARDED_ALLOW_IPS": gateways,
            "DB_CONNECT_TIMEOUT": "2",
            # Keys in a folder both hosts mount; the newest private key signs.
            "JWT_KEYS_DIR": str(keys),
            "JWT_KEYS_RECHECK_SECONDS": str(JWT_KEYS_RECHECK_SECONDS),
            "GUNICORN_WORKERS": "2",
            "GUNICORN_TIMEOUT": "30",
            "GUNICORN_ACCESS_LOG": "",
            "LOG_LEVEL": "warning",
            "RATELIMIT_LOGIN": f"{LOGIN_LIMIT}/h",
            # Shedding is the load test's subject; here a request queued behind the
            # concurrent ones must reach the app, so that counts are exact.
            "QUEUE_TIMEOUT_MS": "10000",
            "EMAIL_DELIVERY_MODE": "worker",
            "SMTP_URL": "smtp://127.0.0.1:9",
            "STRIPE_API_BASE": "http://127.0.0.1:9",
            "STRIPE_MAX_NETWORK_RETRIES": "0",
            "CATALYTIC_VAR_DIR": str(base / "var"),
        }
    )
    return env


def run(env: dict[str, str], *command: str, timeout: float = 180) -> str:
    done = subprocess.run(
        [sys.executable, *command],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-3000:])
    return done.stdout


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    needs_postgres_and_redis()
    bench_nginx = load_bench_nginx()
    try:
        bench_nginx.ensure_nginx()
    except (bench_nginx.NginxError, subprocess.CalledProcessError) as exc:
        missing(f"nginx: {exc}")
    base = Path(tempfile.mkdtemp(prefix="catalytic-multinode-"))
    os.chmod(base, 0o755)
    keys = base / "jwt-keys"
    network = postgres = redis_server = nginx = None
    nodes: list[Node] = []
    try:
        network = Network(2)
        hosts = network.hosts
        gateways = [host.gateway for host in hosts]
        postgres = SharedPostgres(base, gateways)
        redis_server = SharedRedis(base, gateways)
        env = base_env(base, keys, hosts)
        postgres.start()
        postgres.create_database()
        redis_server.start()
        run(
            {**env, "DATABASE_URL": postgres.url, "REDIS_URL": redis_server.url}
            | {"DJANGO_SETTINGS_MODULE": "tests.faults.syncdb_settings"},
            *("-m", "tests.multinode.seed", PASSWORD, *ACCOUNTS.values()),
        )
        # The first signing key, written the way an operator does (docs/deploy.md).
        run({**env, "DATABASE_URL": postgres.url}, "manage.py", "rotate_jwt_keys")
        for letter, host in zip("ab", hosts, strict=True):
            node_env = {
                **env,
                "DATABASE_URL": postgres.url_from(host),
                "REDIS_URL": redis_server.url_from(host),
                "PROMETHEUS_MULTIPROC_DIR": str(base / f"metrics-{letter}"),
                "GUNICORN_CONTROL_SOCKET": str(base / f"gunicorn-{letter}.ctl"),
            }
            nodes.append(Node(base=base, env=node_env, port=NODE_PORT, name=letter, host=host))
        for node in nodes:
            node.start()
        for node in nodes:
            node.wait_serving()
        nginx = bench_nginx.Nginx(
            [f"{host.address}:{NODE_PORT}" for host in hosts],
            port=free_port(),
            workdir=base / "nginx",
        )
        nginx.start()
        front = Front(base=base, env=env, port=nginx.port, host=nginx.host)
        yield Cluster(
            network=network,
            postgres=postgres,
            redis=redis_server,
            a=nodes[0],
            b=nodes[1],
            front=front,
            nginx=nginx,
            keys=keys,
            accounts={purpose: spec.split(":", 1)[1] for purpose, spec in ACCOUNTS.items()},
        )
    finally:
        if nginx is not None:
            nginx.stop()
        # Both shut down gracefully at once, then each is waited for (and killed if slow).
        for node in nodes:
            if node.is_running():
                node.process.terminate()
        for node in nodes:
            with contextlib.suppress(Exception):
                node.stop()
        if redis_server is not None:
            redis_server.stop()
        if postgres is not None:
            with contextlib.suppress(Exception):
                if postgres.is_running():
                    postgres.stop()
        if network is not None:
            network.remove()
        if os.environ.get("MULTINODE_KEEP_LOGS"):
            print(f"multi-node test logs kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def live(cluster: Cluster) -> Iterator[Cluster]:
    """Both nodes serving and Redis empty (rate-limit counters start from zero)."""
    cluster.ensure_up()
    cluster.redis.flush()
    yield cluster
    cluster.ensure_up()
