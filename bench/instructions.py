"""Instructions per request, counted by valgrind: the steady figure on a noisy machine.

    .venv/bin/python bench/instructions.py                  # bare, JWT read, API-key read
    .venv/bin/python bench/instructions.py --endpoints bare,lattice_path_jwt --requests 300

CPU time per request moves by 15 % and more between runs on a shared machine; the number
of instructions a request executes does not. This runs the app in-process under
`valgrind --tool=callgrind` (Debian's `valgrind`; installed when missing and running as
root) with the production settings on PostgreSQL `--database` (default catalytic_bench,
**emptied**) and Redis db `--redis-db` (5, **flushed**), seeds a tenant through the API as
bench/profile_api.py does, and serves each endpoint through Django's WSGI handler (as
gunicorn calls it, without gunicorn and the network) `--requests` times after a warm-up,
twice. callgrind's counters are read between the phases (`callgrind_control --dump`), so
each endpoint's count is its own. It prints millions of instructions per request and each
endpoint's ratio to `bare`; both rounds are shown (they agree to a few in a thousand).

Instructions are not time: a request that waits on PostgreSQL also loses its caches, so
bench/http_bench.py stays the measure of CPU time and throughput. Use this one to compare
two trees (run it in a worktree of the older one with its own `--database`) or to see
what one change saved. A run takes about 3 minutes (valgrind runs Python ~50× slower).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from debian_tools import MissingTool, ensure_tool  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
ROUNDS = 2
WARM_UP = 60


def options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", default="bare,lattice_read_jwt,lattice_read_api_key")
    parser.add_argument("--requests", type=int, default=200, help="per endpoint and round")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="catalytic_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser.add_argument("--redis-db", type=int, default=5)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--migrate-only", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def ensure_valgrind() -> None:
    try:
        ensure_tool("valgrind")
        ensure_tool("callgrind_control", "valgrind")
    except MissingTool as exc:
        sys.exit(str(exc))


def prepare(args: argparse.Namespace) -> None:
    """The production settings and an empty, migrated database (bench/http_bench.py's)."""
    from http_bench import prepare_database
    from profile_api import configure

    configure(args)
    # Far above what the runs do: the rate limits are counted but never refuse.
    for name in ("API_RATE_ENTERPRISE", "API_RATE_PROFESSIONAL", "API_KEY_RATE"):
        os.environ[name] = "10000000/m"
    prepare_database(args, {"REDIS_URL": os.environ["REDIS_URL"]})


def serve(args: argparse.Namespace) -> None:
    """Inside valgrind: seed, warm up, then serve each endpoint between counter dumps."""
    import json

    prepare(args)
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import Client, RequestFactory
    from profile_api import request_for, seed

    ids = seed(Client(HTTP_HOST="127.0.0.1"))
    handler = WSGIHandler()
    factory = RequestFactory(HTTP_HOST="127.0.0.1")

    def environ_of(name: str) -> dict:
        method, path, headers, body = request_for(name, ids)
        if body is None:
            return factory.generic(method.upper(), path, **headers).environ
        return factory.generic(
            method.upper(), path, json.dumps(body), content_type="application/json", **headers
        ).environ

    def call(name: str) -> str:
        statuses: list[str] = []
        body = handler(environ_of(name), lambda status, *_: statuses.append(status))
        b"".join(body)
        body.close()
        return statuses[0]

    def dump(label: str) -> None:
        command = ["callgrind_control", f"--dump={label}", str(os.getpid())]
        subprocess.run(command, check=True, capture_output=True)

    names = args.endpoints.split(",")
    for name in names:
        for _ in range(WARM_UP):
            status = call(name)
        if not status.startswith("2"):
            sys.exit(f"{name} answered {status}")
    dump("warm-up")
    for round_ in range(ROUNDS):
        for name in names:
            for _ in range(args.requests):
                call(name)
            dump(f"{name}@{round_}")


def counts(folder: Path) -> dict[str, list[int]]:
    """Instructions of each endpoint's phases, from callgrind's dump files."""
    found: dict[str, list[int]] = {}
    for path in sorted(folder.glob("callgrind.out*")):
        text = path.read_text(errors="replace")
        trigger = re.search(r"^desc: Trigger: dump (\S+)@\d+", text, re.M)
        total = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
        if trigger and total:
            found.setdefault(trigger.group(1), []).append(int(total.group(1)))
    return found


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    if args.serve:
        serve(args)
        return 0
    if args.migrate_only:
        prepare(args)
        return 0
    ensure_valgrind()
    names = args.endpoints.split(",")
    if names[0] != "bare":
        names.insert(0, "bare")
    with tempfile.TemporaryDirectory(prefix="catalytic-instructions-") as workdir:
        out = Path(workdir)
        # Migrations, when the database is behind, run at full speed first.
        database = [
            f"--postgres={args.postgres}",
            f"--database={args.database}",
            f"--redis={args.redis}",
            f"--redis-db={args.redis_db}",
        ]
        this = str(Path(__file__).resolve())
        subprocess.run([sys.executable, this, "--migrate-only", *database], check=True, cwd=REPO)
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out / 'callgrind.out'}",
            sys.executable,
            this,
            "--serve",
            f"--endpoints={','.join(names)}",
            f"--requests={args.requests}",
            *database,
        ]
        print(
            f"serving {', '.join(names)} under callgrind ({args.requests} requests each, "
            f"{ROUNDS} rounds; about 3 minutes)...",
            flush=True,
        )
        run = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
        if run.returncode != 0:
            print(run.stdout[-2000:], run.stderr[-4000:], sep="\n")
            return 2
        found = counts(out)
    per_request = {name: [n / args.requests / 1e6 for n in found[name]] for name in names}
    bare = min(per_request["bare"])
    print(f"\n{'endpoint':<24} {'M instr/request':>16} {'ratio':>7}   rounds")
    for name in names:
        best = min(per_request[name])
        rounds = " ".join(f"{value:.3f}" for value in per_request[name])
        print(f"{name:<24} {best:>16.3f} {best / bare:>7.2f}   {rounds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
