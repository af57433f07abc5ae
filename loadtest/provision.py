"""Pre-provision the load test's tenants, people, tokens, API keys and lattices.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python loadtest/provision.py \\
        --host http://127.0.0.1:8793 --tenants 50 --members 4 --out loadtest/reports/identities.json

`loadtest/run.py` calls this for you; run it by hand only against a server you started
yourself, with the server's own DATABASE_URL and settings in the environment.

Tenants, users, memberships and subscriptions are written through the ORM (there is no
public endpoint that creates a team in bulk, and hashing one password per user would take
minutes: every user gets the same precomputed hash of one password). Everything a client
holds is obtained from the real API: access and refresh tokens from `POST
/api/tenants/login`, API keys from `POST /api/tenants/api-keys`, lattices from `POST
/api/lattices`. The output is a JSON file the locustfile reads.

Logins are sent with a distinct `X-Forwarded-For` address per identity: the load-test
server trusts 127.0.0.1 as its proxy (TRUSTED_PROXIES), so per-IP rate limits see many
clients, as they would in production, instead of one address sending everything.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

# One stdlib JSON client serves the benchmark and the load test.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from http_bench import http  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "loadtest-Lattice-password-1618"
# Viewers are left out: every simulated person runs paths, which needs the member role.
ROLES = ("owner", "admin", "member", "member")
# Small lattices keep every path and neighbourhood cheap: the load test measures the
# service, bench/lattice_bench.py measures the engine.
LATTICES = (
    {"name": "grid 2-D 20", "dimensions": 2, "size": 20},
    {"name": "cube 3-D 8", "dimensions": 3, "size": 8},
    {"name": "grid 2-D 10 obstacles", "dimensions": 2, "size": 10, "obstacles": [[3, 3], [4, 4]]},
)


class ProvisionError(Exception):
    pass


def fake_ip(index: int) -> str:
    """A documentation-range (TEST-NET) address per identity: 198.18.0.0/15."""
    return f"198.{18 + (index >> 16) % 2}.{(index >> 8) & 255}.{index & 255}"


def call(
    host: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    return http(host, method, path, body=body, headers=headers, timeout=30)


def must(status: int, body: Any, ok: tuple[int, ...], what: str) -> Any:
    if status not in ok:
        raise ProvisionError(f"{what}: HTTP {status}: {str(body)[:400]}")
    return body


def token_pair(body: dict[str, Any]) -> tuple[str, str]:
    access = body.get("access_token") or body.get("access") or ""
    refresh = body.get("refresh_token") or body.get("refresh") or ""
    if not access:
        raise ProvisionError(f"login answered no access token: {body}")
    return access, refresh


def create_team(index: int, *, plan_code: str, members: int, run_id: str) -> dict[str, Any]:
    """One tenant on `plan_code` with an owner and `members - 1` others (ORM)."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from billing.models import Plan, Subscription
    from tenants.models import Membership, Tenant

    global _password_hash
    if _password_hash is None:
        _password_hash = make_password(PASSWORD)
    slug = f"load-{run_id}-{index:05d}"
    tenant = Tenant.objects.create(
        name=f"Load {run_id} {index}", slug=slug, billing_email=f"billing@{slug}.example"
    )
    Subscription.objects.create(
        tenant=tenant,
        plan=Plan.objects.get(code=plan_code),
        status=Subscription.Status.ACTIVE,
    )
    people = []
    for number in range(members):
        role = ROLES[number % len(ROLES)] if number else "owner"
        email = f"{role}{number}@{slug}.example"
        user = User.objects.create(email=email, password=_password_hash, first_name=role.title())
        Membership.objects.create(user=user, tenant=tenant, role=role)
        people.append({"email": email, "role": role})
    return {"id": str(tenant.pk), "slug": slug, "plan": plan_code, "members": people}


_password_hash: str | None = None


def connect_team(host: str, team: dict[str, Any], lattices_per_tenant: int) -> None:
    """Log every member in, mint the tenant's API key, create its lattices (HTTP)."""
    for person in team["members"]:
        status, body = call(
            host,
            "POST",
            "/api/tenants/login",
            {"email": person["email"], "password": PASSWORD},
            {"X-Forwarded-For": person["ip"]},
        )
        person["access"], person["refresh"] = token_pair(
            must(status, body, (200,), f"login {person['email']}")
        )
    owner = {"Authorization": f"Bearer {team['members'][0]['access']}"}
    status, body = call(
        host, "POST", "/api/tenants/api-keys", {"name": "load test", "scope": "write"}, owner
    )
    body = must(status, body, (200, 201), "POST /api/tenants/api-keys")
    team["api_key"] = body.get("key") or body.get("api_key") or body.get("secret")
    if not team["api_key"]:
        raise ProvisionError(f"the API key response carries no key: {body}")
    team["lattices"] = []
    for number in range(lattices_per_tenant):
        spec = LATTICES[number % len(LATTICES)]
        status, body = call(host, "POST", "/api/lattices", spec, owner)
        body = must(status, body, (201,), "POST /api/lattices")
        team["lattices"].append(
            {
                "id": body["id"],
                "dimensions": spec["dimensions"],
                "size": spec["size"],
                "obstacles": spec.get("obstacles", []),
            }
        )


def provision(
    *, host: str, tenants: int, members: int, plan: str, lattices_per_tenant: int
) -> dict[str, Any]:
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    run_id = secrets.token_hex(3)
    teams = [
        create_team(index, plan_code=plan, members=members, run_id=run_id)
        for index in range(tenants)
    ]
    connections.close_all()
    counter = 0
    for team in teams:
        for person in team["members"]:
            counter += 1
            person["ip"] = fake_ip(counter)
    # Logins hash a password on the server (deliberately slow): a few in parallel keep
    # every worker busy without queueing.
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda team: connect_team(host, team, lattices_per_tenant), teams))
    return {"host": host, "password": PASSWORD, "run_id": run_id, "tenants": teams}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", required=True, help="the server under test")
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--members", type=int, default=4, help="people per tenant")
    parser.add_argument("--lattices", type=int, default=3, help="lattices per tenant")
    parser.add_argument("--plan", default="professional")
    parser.add_argument("--out", type=Path, default=REPO / "loadtest/reports/identities.json")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalytic.settings")
    import django

    django.setup()
    try:
        data = provision(
            host=args.host.rstrip("/"),
            tenants=args.tenants,
            members=args.members,
            plan=args.plan,
            lattices_per_tenant=args.lattices,
        )
    except ProvisionError as exc:
        print(f"provisioning failed: {exc}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1))
    people = sum(len(t["members"]) for t in data["tenants"])
    print(f"provisioned {len(data['tenants'])} tenants, {people} people -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
