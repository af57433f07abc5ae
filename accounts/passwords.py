"""Passwords: change one, or reset a forgotten one by email (login emails change through
accounts.email_verification).

Every password change ends all existing sessions of the user (accounts.sessions).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts.models import PasswordResetRequest, User
from accounts.sessions import revoke_user_sessions
from accounts.signals import password_reset_requested
from catalytic.client_ip import client_ip
from catalytic.errors import ServiceError
from catalytic.ratelimits import normalise_email
from tenants import audit

# --- Changing the password ------------------------------------------


def require_password(
    user: User, password: str, *, field: str = "password", current: bool = False
) -> None:
    """Refuse (400 `invalid_credentials`, the message on `field`) unless `password` is the
    user's: what every change of a signed-in account asks first. `current` words it as
    "the current password", for forms that also take a new one."""
    if user.check_password(password):
        return
    message = f"The {'current ' if current else ''}password is incorrect."
    raise ServiceError(message, code="invalid_credentials", status=400, details={field: [message]})


def change_password(
    *, user: User, current_password: str, new_password: str, request: Any = None
) -> None:
    """Change a password knowing the current one; every existing token of the user ends.

    Django sessions end too (their hash covers the password); a page keeps its own
    session with update_session_auth_hash.
    """
    require_password(user, current_password, field="current_password", current=True)
    _replace_password(user, new_password, action="password.changed", request=request)


# --- Password reset -----------------------------------------------------------


def password_reset_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return f"{settings.SITE_URL}/password-reset/{uid}/{token}/"


def request_password_reset(*, email: str, request: Any = None) -> None:
    """Record a reset request for an address; the email worker decides who gets a link.

    SECURITY: the same work whatever the address (one INSERT, no account lookup), so
    neither the answer nor its timing tells whether an account exists.
    """
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:255] if request is not None else ""
    reset = PasswordResetRequest.objects.create(
        email=normalise_email(email)[:254],
        ip_address=(client_ip(request) or None) if request is not None else None,
        user_agent=user_agent,
    )
    transaction.on_commit(
        lambda: password_reset_requested.send(sender=PasswordResetRequest, reset=reset)
    )


def user_for_reset(uid: str, token: str) -> User:
    """The user a reset link is for, or ServiceError 400 `invalid_reset_token`."""
    try:
        user = User.objects.filter(pk=force_str(urlsafe_base64_decode(uid))).first()
    except (ValueError, TypeError, OverflowError, DjangoValidationError):
        user = None
    if user is None or not user.is_active or not default_token_generator.check_token(user, token):
        raise ServiceError(
            "This password reset link is invalid or has expired; request a new one.",
            code="invalid_reset_token",
            status=400,
        )
    return user


def confirm_password_reset(*, uid: str, token: str, new_password: str, request: Any = None) -> User:
    """Set the new password and end every existing session of the user."""
    user = user_for_reset(uid, token)
    _replace_password(user, new_password, action="password.reset", request=request)
    return user


def _replace_password(user: User, new_password: str, *, action: str, request: Any) -> None:
    """Validate and set a new password, end every session of the user, audit it."""
    try:
        password_validation.validate_password(new_password, user)
    except DjangoValidationError as exc:
        raise ServiceError(
            "The new password is not acceptable.",
            code="validation_error",
            status=400,
            details={"new_password": list(exc.messages)},
        )
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        revoke_user_sessions(user=user)
        audit.record_for_person(action, user=user, request=request)
