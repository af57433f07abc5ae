"""Where one API request spends its CPU: cProfile around Django's test client.

    .venv/bin/python bench/profile_api.py                       # lattice read, JWT
    .venv/bin/python bench/profile_api.py --endpoint lattice_read_api_key --sort tottime

Runs in-process with the production settings (DEBUG=false) on PostgreSQL database
`--database` (default catalytic_bench, created and migrated when missing, **emptied**)
and Redis db `--redis-db` (default 5, **flushed**), seeds one tenant through the API,
then times `--requests` calls of one endpoint (after a warm-up) and prints per-request
CPU, SQL queries and Redis commands (the server's count), then cProfile's own time per
package and its top functions. Complements bench/http_bench.py, which measures
the same endpoints through gunicorn and wrk.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "bench-Lattice-password-2718"


def configure(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(REPO))
    workdir = Path(tempfile.mkdtemp(prefix="catalytic-profile-"))
    from http_bench import production_settings  # this folder: the bench's own settings

    os.environ.update(production_settings(args, workdir, "testserver,127.0.0.1"))
    (workdir / "metrics").mkdir(parents=True)
    from accounts.jwt_keys import generate_private_key, write_key_pair

    private = write_key_pair(workdir / "jwt-keys", generate_private_key())
    os.environ["JWT_PRIVATE_KEY_PATH"] = str(private)
    os.environ["JWT_PUBLIC_KEY_PATH"] = str(private).replace(".private.pem", ".public.pem")


def seed(client: Any) -> dict[str, str]:
    from billing.models import Plan, Subscription
    from tenants.models import Membership

    email = f"profile-{secrets.token_hex(4)}@bench.example"
    company = f"Profile {secrets.token_hex(3)}"
    body = {
        "email": email,
        "password": PASSWORD,
        "first_name": "Profile",
        "last_name": "Run",
        "company_name": company,
        "tenant_name": company,
    }
    response = client.post("/api/tenants/register", body, content_type="application/json")
    assert response.status_code in (200, 201), response.content
    membership = Membership.objects.get(user__email=email)
    Subscription.objects.update_or_create(
        tenant=membership.tenant,
        defaults={"plan": Plan.objects.get(code="enterprise"), "status": "active"},
    )
    response = client.post(
        "/api/tenants/login",
        {"email": email, "password": PASSWORD},
        content_type="application/json",
    )
    access = response.json()["access_token"]
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {access}"}
    response = client.post(
        "/api/tenants/api-keys",
        {"name": "profile", "scope": "write"},
        content_type="application/json",
        **bearer,
    )
    key = response.json()["key"]
    response = client.post(
        "/api/lattices",
        {"name": "profile 10x10", "dimensions": 2, "size": 10},
        content_type="application/json",
        **bearer,
    )
    return {"access": access, "key": key, "lattice": response.json()["id"]}


def request_for(name: str, ids: dict[str, str]) -> tuple[str, str, dict[str, Any], Any]:
    lattice = f"/api/lattices/{ids['lattice']}"
    jwt = {"HTTP_AUTHORIZATION": f"Bearer {ids['access']}"}
    table = {
        "bare": ("get", "/ping", {}, None),
        "lattice_read_jwt": ("get", lattice, jwt, None),
        "lattice_read_api_key": ("get", lattice, {"HTTP_X_API_KEY": ids["key"]}, None),
        "lattice_list_jwt": ("get", "/api/lattices", jwt, None),
        "lattice_path_jwt": ("post", f"{lattice}/path", jwt, {"start": [0, 0], "end": [9, 9]}),
        "usage_jwt": ("get", "/api/tenants/usage", jwt, None),
        "health": ("get", "/health", {}, None),
    }
    return table[name]


def package_of(filename: str) -> str:
    """`.../site-packages/django/db/x.py` -> "django"; our own `accounts/x.py` -> "accounts"."""
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    if path.is_relative_to(REPO):
        return path.relative_to(REPO).parts[0].removesuffix(".py")
    return "python" if filename.startswith(("/", "<frozen")) else "builtins"


def print_by_package(stats: pstats.Stats, requests: int) -> None:
    """Own time (tottime) per package, per request: which layer to look at first."""
    totals: dict[str, float] = {}
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        package = package_of(filename)
        totals[package] = totals.get(package, 0.0) + tottime
    grand = sum(totals.values())
    print("own CPU by package (profiled, per request):")
    for package, seconds in sorted(totals.items(), key=lambda item: -item[1])[:15]:
        share = 100 * seconds / grand
        print(f"  {package:<22} {1000 * seconds / requests:7.3f} ms  {share:5.1f} %")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", default="lattice_read_jwt")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"])
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--callers", default="", help="also print callers of matching functions")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="catalytic_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser.add_argument("--redis-db", type=int, default=5)
    args = parser.parse_args(argv)
    configure(args)
    from http_bench import prepare_database

    # Created and migrated when missing, as the HTTP bench does; then emptied.
    prepare_database(args, {"REDIS_URL": os.environ["REDIS_URL"]})
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")

    def redis_commands() -> int:
        # The server's own count (this INFO included), so nothing in redis-py is touched.
        return int(redis.info("stats")["total_commands_processed"])

    client = Client(HTTP_HOST="127.0.0.1")
    ids = seed(client)
    method, path, headers, body = request_for(args.endpoint, ids)

    def call() -> int:
        if body is None:
            return getattr(client, method)(path, **headers).status_code
        return getattr(client, method)(
            path, body, content_type="application/json", **headers
        ).status_code

    for _ in range(50):
        status = call()
    assert status == 200, status
    before = redis_commands()
    with CaptureQueriesContext(connection) as queries:
        call()
    commands = redis_commands() - before - 1
    print(f"{args.endpoint}: {len(queries)} SQL queries, {commands} Redis commands")
    for query in queries.captured_queries:
        print(f"  {query['sql'][:160]}")

    started = time.process_time()
    for _ in range(args.requests):
        call()
    spent = time.process_time() - started
    print(f"CPU per request (no profiler): {1000 * spent / args.requests:.3f} ms")

    # CPU time, not wall: waiting for PostgreSQL or Redis is not this process's cost.
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(args.requests):
        call()
    profiler.disable()
    stats = pstats.Stats(profiler).sort_stats(args.sort)
    print_by_package(stats, args.requests)
    stats.print_stats(args.top)
    if args.callers:
        stats.print_callers(args.callers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
