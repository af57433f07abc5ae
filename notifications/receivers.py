"""Emails sent for events of the apps below notifications (connected in NotificationsConfig)."""

from __future__ import annotations

from typing import Any

from notifications import emails
from notifications.models import OutboxMessage
from tenants.models import Invitation


def email_invitation(
    sender: Any, *, invitation: Invitation, accept_url: str, **kwargs: Any
) -> None:
    emails.send_member_invitation(
        tenant=invitation.tenant,
        email=invitation.email,
        inviter=invitation.invited_by,
        role=invitation.role,
        accept_url=accept_url,
        expires_at=invitation.expires_at,
    )


def email_account_deleted(sender: Any, *, email: str, name: str, **kwargs: Any) -> None:
    """The farewell, then every older message to the address goes: the outbox keeps no
    copy of a deleted person's mail beyond the one still to be delivered."""
    farewell = emails.send_account_deleted(email=email, name=name)
    OutboxMessage.objects.filter(to_email=farewell.to_email).exclude(pk=farewell.pk).delete()


def email_two_factor_changed(
    sender: Any, *, user: Any, event: str, left: int | None = None, **kwargs: Any
) -> None:
    emails.send_two_factor_changed(user=user, event=event, left=left)


def email_verification(sender: Any, *, user: Any, email: str, url: str, **kwargs: Any) -> None:
    emails.send_email_verification(user=user, email=email, url=url)


def email_change(
    sender: Any, *, user: Any, new_email: str, confirm_url: str, **kwargs: Any
) -> None:
    emails.send_email_change(user=user, new_email=new_email, confirm_url=confirm_url)
