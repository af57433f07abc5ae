import warnings

from anymail.exceptions import AnymailNotSupportedWarning
from anymail.signals import tracking
from django.apps import AppConfig

from accounts.signals import (
    account_deleting,
    email_change_requested,
    email_verification_requested,
    password_reset_requested,
    two_factor_changed,
)
from tenants.signals import member_invited


class NotificationsConfig(AppConfig):
    name = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from catalytic.live_metrics import register_live_collector
        from notifications import checks  # noqa: F401 - registers the system checks
        from notifications.outbox_metrics import OutboxBacklogCollector
        from notifications.password_resets import on_password_reset_requested
        from notifications.receivers import (
            email_account_deleted,
            email_change,
            email_invitation,
            email_two_factor_changed,
            email_verification,
        )
        from notifications.tracking import handle_tracking_event

        register_live_collector(OutboxBacklogCollector())
        tracking.connect(handle_tracking_event, dispatch_uid="notifications.tracking")
        member_invited.connect(email_invitation, dispatch_uid="notifications.invitation")
        account_deleting.connect(
            email_account_deleted, dispatch_uid="notifications.account_deleted"
        )
        two_factor_changed.connect(
            email_two_factor_changed, dispatch_uid="notifications.two_factor_changed"
        )
        email_verification_requested.connect(
            email_verification, dispatch_uid="notifications.email_verification"
        )
        email_change_requested.connect(email_change, dispatch_uid="notifications.email_change")
        password_reset_requested.connect(
            on_password_reset_requested, dispatch_uid="notifications.password_resets"
        )
        # SendGrid is the provider the product promises; anymail still ships and tests
        # its backend but warns on every send and webhook that support was dropped.
        warnings.filterwarnings(
            "ignore",
            message=".*dropped official support for SendGrid.*",
            category=AnymailNotSupportedWarning,
        )
