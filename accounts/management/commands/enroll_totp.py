"""Give a staff account a TOTP device, so it can sign in to the admin where codes are required."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User


class Command(BaseCommand):
    help = (
        "Create a TOTP device for a staff account and print its otpauth:// URL (scan it, or "
        "type the secret into an authenticator app). Run after `createsuperuser`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--name", default="authenticator", help="the device's name")
        parser.add_argument(
            "--replace", action="store_true", help="delete the account's other TOTP devices"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email=options["email"].strip().lower()).first()
        if user is None:
            raise CommandError(f"No account with the email {options['email']!r}")
        if not user.is_staff:
            raise CommandError(f"{user.email} is not staff: the admin would refuse it anyway")
        if options["replace"]:
            TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name=options["name"], confirmed=True)
        self.stdout.write(f"TOTP device {device.name!r} for {user.email}:")
        self.stdout.write(device.config_url)
        self.stdout.write(
            self.style.SUCCESS("Add it to an authenticator app; the admin asks for its code.")
        )
