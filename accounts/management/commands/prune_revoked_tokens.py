"""Delete revocation and refresh-token rows that can no longer matter (run daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import RefreshToken, RevokedAccessToken


class Command(BaseCommand):
    help = (
        "Delete denylist rows of access tokens that have expired, and refresh-token rows "
        "past their expiry (an expired token is refused before its row is looked at)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        revoked, _ = RevokedAccessToken.objects.filter(expires_at__lte=now).delete()
        refresh, _ = RefreshToken.objects.filter(expires_at__lte=now).delete()
        self.stdout.write(
            f"Pruned {revoked} expired revoked access token(s) and "
            f"{refresh} expired refresh token(s)."
        )
