"""manage.py init_db: migrate, seed the plans, print the report operators expect
(its lines are fixed by tests/foundation/test_init_db.py: deploy scripts may grep them)."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from billing.models import Plan, Subscription
from billing.seeding import seed_plans
from catalytic.env import mask_url
from tenants.models import Tenant

RULE = "=" * 59
VENDORS = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MySQL"}


class Command(BaseCommand):
    help = "Apply migrations, seed or update the subscription plans, and print statistics."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--skip-migrate", action="store_true", help="Only seed plans.")

    def handle(self, *args: Any, **options: Any) -> None:
        out = self.stdout.write
        out(RULE)
        out("CATALYTIC COMPUTING SAAS - DATABASE INITIALIZATION")
        out(RULE)
        out("")
        out(f"Database URL: {mask_url(settings.DATABASE_URL)}")
        out(f"Database Type: {VENDORS.get(connection.vendor, connection.vendor)}")
        out("Creating database tables...")
        if not options["skip_migrate"]:
            self.migrate()
        out("✓ All tables created successfully")
        out("")
        out("Seeding subscription plans...")
        for outcome, plan in seed_plans():
            out(f"  ✓ {outcome.capitalize()} plan: {plan.name} (${plan.price_monthly}/month)")
        out("✓ Subscription plans seeded successfully")
        out("")
        out(RULE)
        out("DATABASE STATISTICS")
        out(RULE)
        active = Subscription.objects.filter(
            status__in=[Subscription.Status.ACTIVE, Subscription.Status.TRIALING]
        ).count()
        for label, value in (
            ("Subscription Plans", Plan.objects.count()),
            ("Tenants", Tenant.objects.count()),
            ("Users", get_user_model().objects.count()),
            ("Active Subscriptions", active),
        ):
            out(f"{label:.<50}{value:>11}")
        out(RULE)
        out("")
        out(self.style.SUCCESS("✅ Database initialization complete!"))

    def migrate(self) -> None:
        """Apply the migrations, saying on stderr which one runs (stdout is the report)."""
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if not pending:
            return
        self.stderr.write(
            f"Applying {len(pending)} migrations; a new database takes about a minute "
            "(dj-stripe's are most of it)."
        )
        self.stdout.flush()
        call_command("migrate", interactive=False, verbosity=1, stdout=sys.stderr)
