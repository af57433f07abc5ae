"""Add a new JWT signing key; tokens signed with older keys keep verifying until they expire."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.jwt_keys import (
    generate_private_key,
    key_id,
    reset_keyring,
    retired_key_pairs,
    write_key_pair,
)
from accounts.jwt_keys import keyring as current_keyring
from accounts.tokens import jwt_settings

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: str) -> float:
    """`3600`, `90m`, `12h`, `8d` → seconds."""
    value = value.strip().lower()
    unit = value[-1:] if value[-1:] in UNITS else "s"
    number = value[:-1] if value[-1:] in UNITS else value
    try:
        return float(number) * UNITS[unit]
    except ValueError:
        raise CommandError(f"{value!r} is not a duration like 3600, 12h or 8d")


class Command(BaseCommand):
    help = (
        "Write a new RS256 key pair into JWT_KEYS_DIR. The newest key signs from now on; "
        "older keys keep verifying, so tokens already issued stay valid until they expire."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--prune-older-than",
            metavar="DURATION",
            help=(
                "Also delete key pairs retired (superseded) longer ago than this, e.g. 8d. "
                "Must be at least the refresh-token lifetime, or live tokens would break."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.JWT_PRIVATE_KEY_PATH:
            self._explain_mounted_keys()
            return
        keys_dir = Path(settings.JWT_KEYS_DIR)
        prune_after = None
        if options["prune_older_than"]:
            prune_after = parse_duration(options["prune_older_than"])
            minimum = jwt_settings().REFRESH_TOKEN_LIFETIME.total_seconds()
            if prune_after < minimum:
                raise CommandError(
                    f"--prune-older-than must be at least the refresh-token lifetime "
                    f"({int(minimum)}s): tokens signed by a retired key live that long"
                )
        private_key = generate_private_key()
        path = write_key_pair(keys_dir, private_key)
        reset_keyring()
        self.stdout.write(f"New signing key {key_id(private_key.public_key())} in {path.name}")
        if prune_after is not None:
            for pair in retired_key_pairs(keys_dir, prune_after):
                pair.private_path.unlink(missing_ok=True)
                pair.public_path.unlink(missing_ok=True)
                self.stdout.write(f"Removed retired key {pair.private_path.name}")
        ring = current_keyring()
        self.stdout.write(
            self.style.SUCCESS(
                f"Signing with {ring.signing_kid}; {len(ring.by_kid)} key(s) verify. "
                f"Workers pick the change up within {settings.JWT_KEYS_RECHECK_SECONDS}s."
            )
        )

    def _explain_mounted_keys(self) -> None:
        keys_dir = settings.JWT_KEYS_DIR
        self.stdout.write(
            "JWT_PRIVATE_KEY_PATH is set: the signing key is mounted, so this command "
            "does not write it. To rotate:\n"
            "  1. openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \\\n"
            "       -out new.private.pem\n"
            "     openssl pkey -in new.private.pem -pubout -out new.public.pem\n"
            f"  2. Copy the CURRENT public key into {keys_dir} as <name>.public.pem, so tokens\n"
            "     it signed keep verifying until they expire (refresh tokens: "
            f"{int(jwt_settings().REFRESH_TOKEN_LIFETIME.total_seconds())}s).\n"
            "  3. Point JWT_PRIVATE_KEY_PATH / JWT_PUBLIC_KEY_PATH at the new pair and roll the\n"
            "     workers (they also reload changed key files within "
            f"{settings.JWT_KEYS_RECHECK_SECONDS}s).\n"
            "  4. After the refresh-token lifetime has passed, remove the old public key."
        )
