"""The fault harness: this test's own PostgreSQL, Redis, SMTP server and gunicorn app.

Nothing here touches the shared servers: PostgreSQL is a fresh cluster (initdb) in a
temporary folder, Redis a fresh redis-server, both on free loopback ports, so the
tests may stop and restart them at will. The app is the production command
(`gunicorn -c gunicorn.conf.py catalytic.wsgi`, DEBUG off) pointed at them.

Missing binaries skip the tests with the reason, except under CI=true, where the
harness must run. With FAULTS_KEEP_LOGS=1 (and `-s`) the temporary folder, with the
app's gunicorn.log and the cluster's postgres.log, is kept and its path printed.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "faulty-towers-password-1975"
OWNER_EMAIL = "basil@faulty.example"
STRIPE_KEY = "sk_test_FaultsCatalytic0123456789abcdef"
WEBHOOK_SECRET = "whsec_faults_catalytic_0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"fault harness unavailable in CI: {reason}")
    pytest.skip(reason)


def wait_for(check: Any, timeout: float, what: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except Exception as exc:  # noqa: BLE001 - keep polling until the deadline
            last = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}: {last!r}")


# --- PostgreSQL ------------------------------------------------------------------------


def _pg_bin() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class ThreadedLoad:
    """Threads calling `run(number)` until stopped; a context manager around the load."""

    join_timeout = 30.0

    def __init__(self, threads: int) -> None:
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self.run, args=(number,), daemon=True)
            for number in range(threads)
        ]

    def run(self, number: int) -> None:
        raise NotImplementedError

    def __enter__(self) -> Any:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=self.join_timeout)


class PostgresCluster:
    """A throwaway cluster; as root it runs as the `postgres` user (initdb refuses root)."""

    def __init__(self, base: Path) -> None:
        bin_dir = _pg_bin()
        if bin_dir is None:
            missing("PostgreSQL binaries (initdb, pg_ctl) are not installed")
        self.bin = bin_dir
        self.port = free_port()
        self.data = base / "pgdata"
        self.log = base / "postgres.log"
        self.listen = ["127.0.0.1"]  # addresses it listens on
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                missing("running as root and there is no `postgres` user for initdb")
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(base, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        if self.as_user:
            self.log.touch()
            shutil.chown(self.log, "postgres")

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin / tool), *args],
            check=True,
            capture_output=True,
            timeout=timeout,
        )

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/catalytic_faults"

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses={','.join(self.listen)}"
            f" -c unix_socket_directories={self.data}"
            " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        # -m fast: in-flight transactions are rolled back and clients disconnected.
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def is_running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url, connect_timeout=3) as conn, conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def create_database(self) -> None:
        import psycopg

        admin = self.url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("CREATE DATABASE catalytic_faults")


# --- Redis ------------------------------------------------------------------------------


class RedisServer:
    def __init__(self, base: Path) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            missing("redis-server is not installed")
        self.port = free_port()
        self.dir = base
        self.listen = ["127.0.0.1"]  # addresses it listens on
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                " ".join(self.listen),
                *(["--protected-mode", "no"] if self.listen != ["127.0.0.1"] else []),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, 10, "redis-server to answer")

    def ping(self) -> bool:
        import redis

        return bool(redis.Redis.from_url(self.url, socket_timeout=0.5).ping())

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def flush(self) -> None:
        """Rate-limit counters of one test must not spend the next test's allowance."""
        import redis

        redis.Redis.from_url(self.url, socket_timeout=1).flushall()


# --- SMTP -------------------------------------------------------------------------------


class MailSink:
    """aiosmtpd on a fixed port that can be stopped and started again (the provider)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[Any] = []
        self.controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                sink.messages.append(envelope)
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


# --- the app ---------------------------------------------------------------------------


@dataclass
class App:
    base: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.base / "gunicorn.log"

    def start(self) -> None:
        env = {**self.env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "catalytic.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: self.request("GET", "/ping")[0] == 200, 30, "gunicorn to serve /ping")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def manage(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        timeout: float = 10,
    ) -> tuple[int, Any]:
        """(status, parsed JSON or text); status 0 when the connection itself failed."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, payload = exc.code, exc.read()
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            return 0, repr(exc)
        try:
            return status, json.loads(payload)
        except ValueError:
            return status, payload.decode(errors="replace")

    def login(self) -> dict[str, Any]:
        status, body = self.request(
            "POST", "/api/tenants/login", {"email": OWNER_EMAIL, "password": PASSWORD}
        )
        assert status == 200, body
        return body


@dataclass
class Stack:
    postgres: PostgresCluster
    redis: RedisServer
    mail: MailSink
    app: App

    def ensure_up(self) -> None:
        """Each test leaves everything running; this repairs what a failed test left down."""
        if not self.postgres.is_running():
            self.postgres.start()
        if self.redis.process is None:
            self.redis.start()
        if self.mail.controller is None:
            self.mail.start()


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    base = Path(tempfile.mkdtemp(prefix="catalytic-faults-"))
    os.chmod(base, 0o755)
    postgres = PostgresCluster(base)
    redis_server = RedisServer(base)
    mail = MailSink()
    keys = base / "jwt-keys"
    keys.mkdir()
    (base / "metrics").mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "DJANGO_", "GUNICORN_")) and key != "CATALYTIC_TESTING"
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "catalytic.settings",
            "DEBUG": "false",
            "SECRET_KEY": "faults-" + "k" * 48,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": postgres.url,
            "REDIS_URL": redis_server.url,
            "DB_CONNECT_TIMEOUT": "2",
            "JWT_KEYS_DIR": str(keys),
            "PROMETHEUS_MULTIPROC_DIR": str(base / "metrics"),
            "GUNICORN_WORKERS": "2",
            "GUNICORN_TIMEOUT": "30",
            "GUNICORN_ACCESS_LOG": "",
            "LOG_LEVEL": "warning",
            "RATELIMIT_LOGIN": "3/m",
            "LATTICE_SEARCH_SECONDS": "5",
            "SMTP_URL": f"smtp://127.0.0.1:{mail.port}",
            "EMAIL_DELIVERY_MODE": "worker",
            "EMAIL_RETRY_BASE_SECONDS": "1",
            "EMAIL_RETRY_MAX_SECONDS": "1",
            "EMAIL_PROVIDER_TIMEOUT": "2",
            "STRIPE_SECRET_KEY": STRIPE_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            # Nothing listens there: any call to Stripe fails at once, nothing leaves.
            "STRIPE_API_BASE": "http://127.0.0.1:9",
            "STRIPE_MAX_NETWORK_RETRIES": "0",
            "CATALYTIC_VAR_DIR": str(base / "var"),
        }
    )
    from accounts.jwt_keys import generate_private_key, write_key_pair

    private = write_key_pair(keys, generate_private_key())
    env["JWT_PRIVATE_KEY_PATH"] = str(private)
    env["JWT_PUBLIC_KEY_PATH"] = str(private).replace(".private.pem", ".public.pem")
    app = App(base=base, env=env)
    stack = Stack(postgres=postgres, redis=redis_server, mail=mail, app=app)
    try:
        postgres.start()
        postgres.create_database()
        redis_server.start()
        mail.start()
        seeded = subprocess.run(
            [sys.executable, "-m", "tests.faults.seed", OWNER_EMAIL, PASSWORD, STRIPE_KEY],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "tests.faults.syncdb_settings"},
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert seeded.returncode == 0, seeded.stderr[-3000:]
        app.start()
        yield stack
    finally:
        app.stop()
        mail.stop()
        redis_server.stop()
        with contextlib.suppress(Exception):
            if postgres.is_running():
                postgres.stop()
        if os.environ.get("FAULTS_KEEP_LOGS"):
            print(f"fault-test logs kept in {base}")  # gunicorn.log, postgres.log
        else:
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def live(stack: Stack) -> Iterator[Stack]:
    stack.ensure_up()
    yield stack
    stack.ensure_up()


def kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
