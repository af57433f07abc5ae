"""Delete session and refresh-token rows that can no longer matter (run daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import TokenFamily


class Command(BaseCommand):
    help = (
        "Delete sessions whose last refresh token has expired, and simplejwt's outstanding "
        "(and blacklisted) refresh tokens past their expiry: an expired token is refused "
        "before its row is looked at."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        sessions, _ = TokenFamily.objects.filter(expires_at__lte=now).delete()
        # Deleting an outstanding token deletes its blacklist row with it.
        refresh = OutstandingToken.objects.filter(expires_at__lte=now).count()
        OutstandingToken.objects.filter(expires_at__lte=now).delete()
        self.stdout.write(
            f"Pruned {sessions} expired session(s) and {refresh} expired refresh token(s)."
        )
