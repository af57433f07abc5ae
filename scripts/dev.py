#!/usr/bin/env python3
"""One entry point for a newcomer: `serve` runs the product, `test` runs the suite.

Needs only Python 3.11+: it creates .venv, installs the pinned requirements
(again only when they change), and then does the work inside that environment.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("CATALYTIC_VENV", ROOT / ".venv"))
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))


def run(*args: str | os.PathLike, env: dict[str, str] | None = None) -> None:
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if result.returncode != 0:
        sys.exit(result.returncode)


def ensure_venv(requirements: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - newcomers may run an older python3
        sys.exit("Catalytic needs Python 3.11 or newer")
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256()
    for name in ("requirements.txt", requirements):
        digest.update((ROOT / name).read_bytes())
    stamp = VENV / f".installed-{Path(requirements).stem}"
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
        return
    print(f"Installing {requirements} ...", flush=True)
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-r", requirements)
    stamp.write_text(digest.hexdigest())


SKIP_BROWSER_HINT = 'run without them: python3 scripts/dev.py test -m "not browser"'


def ensure_chromium(args: list[str]) -> None:
    """Browser tests drive Debian's Chromium: install it where we can (root on Debian),
    and otherwise say how to run the suite without those tests."""
    if CHROMIUM.exists() or "not browser" in " ".join(args):
        return
    if not shutil.which("apt-get") or os.geteuid() != 0:
        print(
            f"Chromium is not installed ({CHROMIUM}) and this user cannot install it (that "
            "needs root and apt-get): the browser tests will be skipped. Install it with "
            f"`sudo apt-get install chromium`, or {SKIP_BROWSER_HINT}",
            flush=True,
        )
        return
    print(
        "Chromium is not installed: installing Debian's chromium with apt-get for the "
        f"browser tests (a few minutes, once). To skip them instead, {SKIP_BROWSER_HINT}",
        flush=True,
    )
    subprocess.run(["apt-get", "update", "-qq"], check=False)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
        check=False,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    if not CHROMIUM.exists():
        print(
            f"apt-get could not install chromium: the browser tests will be skipped; "
            f"{SKIP_BROWSER_HINT}",
            flush=True,
        )


def pytest_args(args: list[str]) -> list[str]:
    """The suite's arguments: `-rs` first, so the summary says why each test was skipped
    (a later `-r` of the caller's wins)."""
    return ["-m", "pytest", "-rs", *args]


def site_url(address: str) -> str:
    """The URL people open for `runserver ADDRESS`: emails link there."""
    host, _, port = address.rpartition(":")
    if not host or host in ("127.0.0.1", "0.0.0.0"):  # noqa: S104 - a name, not a bind
        host = "localhost"
    return f"http://{host}:{port}"


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    """The background-job worker `serve` runs beside the web server: Celery, on Redis when
    REDIS_URL is set, else on a folder in var/ (catalytic/jobs_config.py)."""
    print("Starting a background-job worker (celery -A catalytic worker) ...", flush=True)
    return subprocess.Popen(
        [str(PYTHON), "-m", "celery", "-A", "catalytic", "worker", "--loglevel=WARNING",
         "--concurrency=1", "--without-gossip", "--without-mingle"],
        cwd=ROOT,
        env=env,
    )  # fmt: skip


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()  # Celery's warm shutdown: the running job finishes first
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def serve(args: list[str]) -> None:
    ensure_venv("requirements.txt")
    address = args[0] if args else "127.0.0.1:8000"
    if ":" not in address:
        address = f"127.0.0.1:{address}"  # runserver's own shorthand: a port alone
    # Unless SITE_URL is set, links in emails point where this server listens.
    env = {**os.environ, "SITE_URL": os.environ.get("SITE_URL") or site_url(address)}
    run(PYTHON, "manage.py", "init_db", env=env)
    worker = start_worker(env)
    # A SIGTERM (a process manager, an IDE's stop button) ends serve through `finally`
    # too, so the worker does not outlive it.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        print(f"\nCatalytic is starting on {env['SITE_URL']}\n")
        run(PYTHON, "manage.py", "runserver", address, env=env)
    finally:
        stop_worker(worker)


def test(args: list[str]) -> None:
    ensure_venv("requirements-dev.txt")
    ensure_chromium(args)
    run(PYTHON, *pytest_args(args))


def main() -> None:
    commands = {"serve": serve, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit("usage: python3 scripts/dev.py serve [host:port] | test [pytest args]")
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
