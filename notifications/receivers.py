"""Emails sent for events of the apps below notifications (connected in NotificationsConfig)."""

from __future__ import annotations

from typing import Any

from notifications import emails
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
