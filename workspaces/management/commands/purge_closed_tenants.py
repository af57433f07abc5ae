"""manage.py purge_closed_tenants: delete the data of workspaces closed longer than the grace
period (TENANT_CLOSE_GRACE_DAYS). Run it daily; a second run finds nothing more to do."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from workspaces.purge import purge_due

RULE = "=" * 59


class Command(BaseCommand):
    help = "Delete the data of workspaces closed longer than TENANT_CLOSE_GRACE_DAYS."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be deleted; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out = self.stdout.write
        dry_run = options["dry_run"]
        out(RULE)
        out("CATALYTIC - PURGE CLOSED WORKSPACES" + (" (DRY RUN)" if dry_run else ""))
        out(RULE)
        out(f"Grace period: {settings.TENANT_CLOSE_GRACE_DAYS} days")
        count = 0
        for tenant, done in purge_due(dry_run=dry_run):
            count += 1
            verb = "Would purge" if dry_run else "✓ Purged"
            out(f"{verb} {tenant.slug} (closed {tenant.closed_at:%Y-%m-%d})")
            for name, value in done.items():
                out(f"    {name.replace('_', ' '):.<46}{value:>11}")
        out(RULE)
        noun = "workspace" if count == 1 else "workspaces"
        if dry_run:
            out(f"{count} {noun} due; nothing was changed.")
        else:
            out(self.style.SUCCESS(f"✅ {count} {noun} purged."))
