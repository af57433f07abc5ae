#!/usr/bin/env python3
"""One entry point for a newcomer: `serve` runs the product, `test` runs the suite.

Needs only Python 3.11+: it creates .venv, installs the pinned requirements
(again only when they change), and then does the work inside that environment.
"""

from __future__ import annotations

import hashlib
import os
import shutil
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


def ensure_chromium() -> None:
    """Browser tests drive Debian's Chromium; install it where we can (root on Debian)."""
    if CHROMIUM.exists() or not shutil.which("apt-get") or os.geteuid() != 0:
        return
    print("Installing Debian's chromium for the browser tests ...", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=False)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
        check=False,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


def serve(args: list[str]) -> None:
    ensure_venv("requirements.txt")
    run(PYTHON, "manage.py", "init_db")
    address = args[0] if args else "127.0.0.1:8000"
    print(f"\nCatalytic is starting on http://{address.replace('127.0.0.1', 'localhost')}\n")
    run(PYTHON, "manage.py", "runserver", address)


def test(args: list[str]) -> None:
    ensure_venv("requirements-dev.txt")
    ensure_chromium()
    run(PYTHON, "-m", "pytest", *args)


def main() -> None:
    commands = {"serve": serve, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit("usage: python3 scripts/dev.py serve [host:port] | test [pytest args]")
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
