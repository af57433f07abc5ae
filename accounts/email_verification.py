"""Proving a login email: the sign-up link, and changing the address through a link.

A link carries a token signed with SECRET_KEY (django.core.signing, with its own salt
per purpose) holding the user's id and the address it proves; it expires after
EMAIL_VERIFICATION_TTL / EMAIL_CHANGE_TTL. Nothing is stored: a token is dead once the
account's email is no longer the one it names (a change was confirmed, or the account
was erased). The emails are sent by notifications on accounts.signals, inside the
transaction that asks for them.

Until the address is proven the Free plan works, but inviting people and starting to
pay are refused (`require_verified_email`): both send mail or money in the account's
name, which should reach a person who reads that address.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.passwords import require_password
from accounts.signals import email_change_requested, email_verification_requested
from catalytic.errors import ServiceError
from catalytic.ratelimits import normalise_email, rate_limited, seconds_until_allowed
from tenants import audit

VERIFY_SALT = "accounts.email_verification.verify"
CHANGE_SALT = "accounts.email_verification.change"


class EmailUnverified(ServiceError):
    status = 403
    code = "email_unverified"


def require_verified_email(user: Any) -> None:
    """Refuse (403 `email_unverified`) a person who has not proven their login email."""
    if getattr(user, "email_verified_at", None) is None:
        raise EmailUnverified(
            "Confirm your email address first: open the link we sent you, or ask for a new "
            "one on your account page."
        )


def _rate_limited(request: Any, group: str, user: User) -> None:
    wait = seconds_until_allowed(request, group, str(user.pk), settings.RATELIMIT_VERIFY_EMAIL)
    if wait:
        raise rate_limited(wait)


# --- Verifying the address a person signed up with ----------------------------------


def verification_url(user: User) -> str:
    token = signing.dumps({"u": str(user.pk), "e": user.email}, salt=VERIFY_SALT)
    return f"{settings.SITE_URL}/account/verify-email/{token}/"


def send_verification(user: User) -> None:
    """Queue the link to `user.email` (call inside the transaction that makes the user)."""
    email_verification_requested.send(User, user=user, email=user.email, url=verification_url(user))


def resend_verification(*, user: User, request: Any = None) -> None:
    """A new link, at most RATELIMIT_VERIFY_EMAIL per person; 409 once verified."""
    if user.email_verified_at is not None:
        raise ServiceError(
            "Your email address is already confirmed.", code="already_verified", status=409
        )
    _rate_limited(request, "verify-email:user", user)
    with transaction.atomic():
        send_verification(user)


def _bad_link(message: str) -> ServiceError:
    return ServiceError(message, code="invalid_link", status=400)


def _load(token: str, *, salt: str, max_age: Any) -> dict[str, str]:
    try:
        payload = signing.loads(token or "", salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise _bad_link("This link has expired; ask for a new one from your account page.")
    except signing.BadSignature:
        raise _bad_link("This link is not valid.")
    if not isinstance(payload, dict):
        raise _bad_link("This link is not valid.")
    return payload


def verify_email(*, token: str, request: Any = None) -> User:
    """Mark the address the token names as proven; using a link twice changes nothing."""
    payload = _load(token, salt=VERIFY_SALT, max_age=settings.EMAIL_VERIFICATION_TTL)
    with transaction.atomic():
        user = (
            User.objects.select_for_update()
            .filter(pk=payload.get("u"), email=payload.get("e"), is_active=True)
            .first()
        )
        if user is None:
            # The account changed its address (or is gone) since the link was sent.
            raise _bad_link("This link is for an address this account no longer uses.")
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
            audit.record_for_person("account.email_verified", user=user, request=request)
    return user


# --- Changing the login email -------------------------------------------------------


def _email_taken() -> ServiceError:
    return ServiceError(
        "Another account already uses this email.",
        code="email_taken",
        status=409,
        details={"email": ["Another account already uses this email."]},
    )


def request_email_change(*, user: User, password: str, new_email: str, request: Any = None) -> None:
    """Email a confirmation link to `new_email` and a notice to the current address; the
    login email changes only when the link is followed (`confirm_email_change`).

    Needs the password: a session left open on someone's laptop must not be enough to
    move the account to another inbox.
    """
    require_password(user, password, current=True)
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise ServiceError(
            "This is already your email address.",
            code="email_unchanged",
            details={"email": ["This is already your email address."]},
        )
    if User.objects.filter(email=new_email).exists():
        raise _email_taken()
    _rate_limited(request, "email-change:user", user)
    token = signing.dumps(
        {"u": str(user.pk), "from": user.email, "to": new_email}, salt=CHANGE_SALT
    )
    with transaction.atomic():
        email_change_requested.send(
            User,
            user=user,
            new_email=new_email,
            confirm_url=f"{settings.SITE_URL}/account/email/confirm/{token}/",
        )
        audit.record_for_person(
            "account.email_change_requested",
            user=user,
            request=request,
            target=f"user:{user.email}",
            new_email=new_email,
        )
    return new_email


def confirm_email_change(*, token: str, request: Any = None) -> User:
    """Move the login to the address the link was sent to, which is then proven.

    A link dies once the account's email is no longer the one it was sent from, so each
    works once and an older request cannot undo a newer one.
    """
    payload = _load(token, salt=CHANGE_SALT, max_age=settings.EMAIL_CHANGE_TTL)
    new_email = normalise_email(str(payload.get("to", "")))
    try:
        with transaction.atomic():
            user = (
                User.objects.select_for_update()
                .filter(pk=payload.get("u"), email=payload.get("from"), is_active=True)
                .first()
            )
            if user is None or not new_email:
                raise _bad_link("This link was already used, or the account has changed since.")
            if User.objects.filter(email=new_email).exclude(pk=user.pk).exists():
                raise _email_taken()
            old_email = user.email
            user.email = new_email
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email", "email_verified_at"])
            audit.record_for_person(
                "account.email_changed",
                user=user,
                request=request,
                target=f"user:{new_email}",
                previous_email=old_email,
            )
    except IntegrityError:
        raise _email_taken()
    return user
