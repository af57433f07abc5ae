"""Build the two-node test's database: schema, plans, and one tenant per account given.

Run as `python -m tests.multinode.seed PASSWORD plan:email ...` with
DJANGO_SETTINGS_MODULE=tests.faults.syncdb_settings (tables straight from the models) and
DATABASE_URL pointing at the test's own PostgreSQL.
"""

from __future__ import annotations

import sys

import django


def main(password: str, accounts: list[str]) -> None:
    django.setup()
    from django.core.management import call_command

    from billing.seeding import seed_plans
    from workspaces.signup import register_tenant

    call_command("migrate", run_syncdb=True, verbosity=0)
    list(seed_plans())
    for account in accounts:
        plan_code, email = account.split(":", 1)
        name = email.split("@", 1)[0].title()
        register_tenant(
            company_name=f"{name} Nodes",
            email=email,
            password=password,
            first_name=name,
            last_name="Tester",
            plan_code=plan_code,
        )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
