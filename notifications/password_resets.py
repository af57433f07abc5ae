"""Password reset requests, answered after the request that made them has returned.

The reset API and page only store a PasswordResetRequest (accounts.passwords), so they
do the same work for any address. Here, in the email worker (or right after the
request's commit where email is delivered inline), each request is looked at: an active
account with a password gets the link and an audit entry; any other address gets
nothing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.models import PasswordResetRequest, User
from accounts.passwords import password_reset_url
from notifications import emails
from tenants import audit


def answer_reset_requests(*, limit: int = 100) -> int:
    """Email a link for each pending request whose address has an account; returns how
    many requests were looked at. Several workers may run this at once."""
    with transaction.atomic():
        pending = list(
            PasswordResetRequest.objects.select_for_update(skip_locked=True).order_by(
                "requested_at"
            )[:limit]
        )
        for reset in pending:
            user = User.objects.filter(email=reset.email, is_active=True).first()
            if user is None or not user.has_usable_password():
                continue
            emails.send_password_reset(user=user, reset_url=password_reset_url(user))
            audit.record_for_person(
                "password.reset_requested",
                user=user,
                ip_address=reset.ip_address,
                user_agent=reset.user_agent,
            )
        PasswordResetRequest.objects.filter(pk__in=[reset.pk for reset in pending]).delete()
    return len(pending)


def on_password_reset_requested(sender: Any, **kwargs: Any) -> None:
    """Where email is delivered inline there is no worker to wait for: answer now."""
    if settings.EMAIL_DELIVERY_MODE == "inline":
        answer_reset_requests()
