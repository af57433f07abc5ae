"""Two-factor sign-in for every person: a TOTP device and ten recovery codes.

Both are django-otp's own models: the TOTP device (otp_totp) and one static device whose
tokens are the recovery codes (otp_static), each token deleted as it is used. A person
"has two-factor" when they have a confirmed TOTP device; the staff admin
(accounts.admin_site) asks for a code from the same devices, so a staff member's device
and a customer's are one and the same.

Enrolment takes two steps: `start_enrolment` makes an unconfirmed device and hands out
its secret (the page draws it as a QR code, `qr_svg`); `confirm_enrolment` confirms it
with a first code and returns the recovery codes, which are shown that once.

Every code works once: a TOTP device only accepts a time step after its `last_t`, and a
recovery code's row is deleted. The device rows are locked while a code is checked, so
two concurrent requests cannot both spend the same code. django-otp also slows down
guessing per device (its throttling), on top of the login rate limits.

Enabling, disabling and using a recovery code are audited in every workspace of the
person and announced by email (the `two_factor_changed` signal; notifications sends it).
"""

from __future__ import annotations

import math
from base64 import b32encode
from dataclasses import dataclass
from typing import Any

import segno
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.passwords import require_password
from accounts.signals import two_factor_changed
from catalytic.errors import ServiceError
from tenants import audit

RECOVERY_CODES = 10
RECOVERY_CODE_LENGTH = len(StaticToken.random_token())
DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"


@dataclass(frozen=True)
class Enrolment:
    """A pending TOTP device's secret (base32, for typing) and its otpauth:// URL (the QR)."""

    secret: str
    otpauth_url: str


def is_enabled(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def qr_svg(url: str) -> str:
    """The QR code of `url` as inline SVG, drawn here: the secret never leaves the site."""
    return segno.make(url, error="m").svg_inline(scale=4, border=2)


def normalise_code(code: str) -> str:
    """What people type: "123 456", "abcd-efgh", capitals."""
    return "".join((code or "").split()).replace("-", "").lower()


def _lock_user(user: Any) -> None:
    # One enrolment step at a time per person (two tabs must not make two devices).
    User.objects.select_for_update().filter(pk=user.pk).first()


def _already_enabled() -> ServiceError:
    return ServiceError(
        "Two-factor sign-in is already on; turn it off first to enrol a new device.",
        code="two_factor_enabled",
        status=409,
    )


def _not_enabled() -> ServiceError:
    return ServiceError(
        "Two-factor sign-in is not on for this account.", code="two_factor_disabled", status=409
    )


def _wrong_code(status: int = 400) -> ServiceError:
    return ServiceError(
        "The code is incorrect or was already used.",
        code="otp_invalid",
        status=status,
        details={"code": ["The code is incorrect or was already used."]},
    )


def _announce(user: Any, event: str, request: Any, **metadata: Any) -> None:
    """Audit `two_factor.<event>` in each workspace of the person (its owners see it, as
    they see failed logins) and email the person."""
    audit.record_for_person(
        f"two_factor.{event}", user=user, request=request, target=user.email, **metadata
    )
    if event in ("enabled", "disabled", "recovery_code_used"):
        two_factor_changed.send(sender=User, user=user, event=event, **metadata)


def pending_enrolment(user: Any) -> Enrolment | None:
    """The unconfirmed device's secret, for a page that shows it again."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return _enrolment(device) if device is not None else None


def _enrolment(device: TOTPDevice) -> Enrolment:
    return Enrolment(secret=b32encode(device.bin_key).decode(), otpauth_url=device.config_url)


def start_enrolment(*, user: Any) -> Enrolment:
    """A new unconfirmed TOTP device (replacing any earlier unconfirmed one)."""
    with transaction.atomic():
        _lock_user(user)
        if is_enabled(user):
            raise _already_enabled()
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return _enrolment(device)


def _new_recovery_codes(user: Any) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def confirm_enrolment(*, user: Any, code: str, request: Any = None) -> list[str]:
    """Confirm the pending device with its first code: two-factor is on; the recovery
    codes are returned (this once: only they are stored, and they are shown nowhere else)."""
    with transaction.atomic():
        _lock_user(user)
        if is_enabled(user):
            raise _already_enabled()
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("-id")
            .first()
        )
        if device is None:
            raise ServiceError(
                "Start the enrolment first: it gives the secret the code comes from.",
                code="no_pending_enrolment",
                status=409,
            )
        if device.verify_token(normalise_code(code)):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _new_recovery_codes(user)
            _announce(user, "enabled", request)
            return codes
    # Raised after the block, so django-otp's count of wrong codes commits.
    raise _wrong_code()


def _refuse_while_throttled(device: TOTPDevice) -> None:
    """django-otp makes a device wait 1, 2, 4... seconds after each wrong code, and refuses
    even the right code meanwhile: say so, and for how long, instead of "incorrect"."""
    allowed, facts = device.verify_is_allowed()
    if allowed:
        return
    locked_until = (facts or {}).get("locked_until")
    wait = 1
    if locked_until is not None:
        wait = max(1, math.ceil((locked_until - timezone.now()).total_seconds()))
    raise ServiceError(
        f"Too many wrong codes: try again in {wait} second{'' if wait == 1 else 's'}.",
        code="otp_throttled",
        status=429,
        details={"retry_after": wait},
        headers={"Retry-After": str(wait)},
    )


def verify(user: Any, code: str, *, request: Any = None) -> Device | None:
    """The device that accepts `code` (a current TOTP code, or an unused recovery code,
    which is spent), else None."""
    code = normalise_code(code)
    if not code:
        return None
    with transaction.atomic():
        # SECURITY: the rows stay locked until the code is spent (last_t saved, the
        # recovery code deleted), so a code replayed concurrently is refused.
        if code.isdigit():
            for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
                _refuse_while_throttled(device)
                if device.verify_token(code):
                    return device
            if len(code) != RECOVERY_CODE_LENGTH:
                # Not a recovery code: leave their device's count of wrong codes alone.
                return None
        for static in StaticDevice.objects.select_for_update().filter(user=user, confirmed=True):
            if static.verify_token(code):
                _announce(user, "recovery_code_used", request, left=recovery_codes_left(user))
                return static
    return None


def check_sign_in(*, user: Any, code: str, request: Any = None) -> Device | None:
    """None for a person without two-factor; the device that accepted `code` otherwise.
    ServiceError 401 `otp_required` without a code, `otp_invalid` with a wrong one."""
    if not is_enabled(user):
        return None
    if not normalise_code(code):
        raise ServiceError(
            "Two-factor sign-in is on for this account: send the code from the "
            "authenticator app (or a recovery code) as `otp_code`.",
            code="otp_required",
            status=401,
        )
    device = verify(user, code, request=request)
    if device is None:
        raise _wrong_code(status=401)
    return device


def disable(*, user: Any, password: str, code: str, request: Any = None) -> None:
    """Turn two-factor off: the password and a current code (or a recovery code)."""
    require_password(user, password)
    if not is_enabled(user):
        raise _not_enabled()
    if verify(user, code, request=request) is None:
        raise _wrong_code()
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        _announce(user, "disabled", request)


def regenerate_recovery_codes(*, user: Any, code: str, request: Any = None) -> list[str]:
    """A new set of recovery codes for a current code; every older one stops working."""
    if not is_enabled(user):
        raise _not_enabled()
    if verify(user, code, request=request) is None:
        raise _wrong_code()
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        _announce(user, "recovery_codes_regenerated", request)
    return codes
