"""One function per email the product sends.

Call them inside the transaction that makes the email true (sign-up, invitation,
a billing webhook): the message is stored with it and delivered after commit, so
a rollback sends nothing. Billing kinds go to the tenant's billing address and
its owners, once per address.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.conf import settings

from notifications.addresses import normalize_address
from notifications.models import Kind, OutboxMessage
from notifications.outbox import enqueue
from notifications.rendering import absolute_url, format_amount, render_email
from tenants.models import Membership, Role, Tenant

BILLING_PATH = "/billing/"
PORTAL_PATH = "/billing/portal/"


def billing_recipients(tenant: Tenant) -> list[str]:
    """The billing address, then each active owner: lower-cased, without repeats."""
    owners = (
        Membership.objects.for_tenant(tenant)
        .active()
        .filter(role=Role.OWNER)
        .order_by("created_at")
        .values_list("user__email", flat=True)
    )
    return unique_addresses([tenant.billing_email, *owners])


def unique_addresses(addresses: Iterable[str | None]) -> list[str]:
    """Normalised addresses in their first order, each once, blanks dropped."""
    seen: list[str] = []
    for address in addresses:
        normalized = normalize_address(address or "")
        if normalized and normalized not in seen:
            seen.append(normalized)
    return seen


def _send(
    kind: str,
    *,
    to: str,
    context: dict[str, Any],
    tenant: Tenant | None,
    dedupe_key: str | None = None,
) -> OutboxMessage:
    rendered = render_email(kind, {"tenant": tenant, "recipient": to, **context})
    return enqueue(kind=kind, to=to, rendered=rendered, tenant=tenant, dedupe_key=dedupe_key)


def _send_to_billing(
    kind: str, *, tenant: Tenant, context: dict[str, Any], dedupe_key: str | None
) -> list[OutboxMessage]:
    return [
        _send(kind, to=address, context=context, tenant=tenant, dedupe_key=dedupe_key)
        for address in billing_recipients(tenant)
    ]


def send_welcome(*, user: Any, tenant: Tenant) -> OutboxMessage:
    return _send(
        Kind.WELCOME,
        to=user.email,
        tenant=tenant,
        context={"user": user, "dashboard_url": absolute_url(settings.LOGIN_REDIRECT_URL)},
    )


def send_password_reset(*, user: Any, reset_url: str) -> OutboxMessage:
    # No tenant: a password belongs to the person, whichever tenants they are in.
    return _send(
        Kind.PASSWORD_RESET,
        to=user.email,
        tenant=None,
        context={"user": user, "reset_url": absolute_url(reset_url)},
    )


def send_member_invitation(
    *,
    tenant: Tenant,
    email: str,
    inviter: Any,
    role: str,
    accept_url: str,
    expires_at: datetime,
) -> OutboxMessage:
    return _send(
        Kind.MEMBER_INVITATION,
        to=email,
        tenant=tenant,
        context={
            "inviter": inviter,
            "inviter_name": inviter.get_full_name() if inviter is not None else tenant.name,
            "role": Role(role).label if role in Role.values else role,
            "accept_url": absolute_url(accept_url),
            "expires_at": expires_at,
        },
    )


def send_payment_succeeded(
    *,
    tenant: Tenant,
    amount_cents: int,
    currency: str,
    card_last4: str | None,
    invoice_url: str | None,
    dedupe_key: str | None = None,
) -> list[OutboxMessage]:
    return _send_to_billing(
        Kind.PAYMENT_SUCCEEDED,
        tenant=tenant,
        dedupe_key=dedupe_key,
        context={
            "amount": format_amount(amount_cents, currency),
            "card_last4": card_last4 or "",
            "invoice_url": absolute_url(invoice_url or BILLING_PATH),
            "billing_url": absolute_url(BILLING_PATH),
        },
    )


def send_payment_failed(
    *,
    tenant: Tenant,
    amount_cents: int,
    currency: str,
    update_payment_url: str | None = None,
    dedupe_key: str | None = None,
) -> list[OutboxMessage]:
    return _send_to_billing(
        Kind.PAYMENT_FAILED,
        tenant=tenant,
        dedupe_key=dedupe_key,
        context={
            "amount": format_amount(amount_cents, currency),
            "update_payment_url": absolute_url(update_payment_url or PORTAL_PATH),
        },
    )


def send_trial_ending(
    *, tenant: Tenant, days_left: int, dedupe_key: str | None = None
) -> list[OutboxMessage]:
    return _send_to_billing(
        Kind.TRIAL_ENDING,
        tenant=tenant,
        dedupe_key=dedupe_key,
        context={"days_left": days_left, "upgrade_url": absolute_url(BILLING_PATH)},
    )


def send_subscription_cancelled(
    *, tenant: Tenant, dedupe_key: str | None = None
) -> list[OutboxMessage]:
    return _send_to_billing(
        Kind.SUBSCRIPTION_CANCELLED,
        tenant=tenant,
        dedupe_key=dedupe_key,
        context={"billing_url": absolute_url(BILLING_PATH)},
    )


def send_account_suspended(
    *, tenant: Tenant, reason: str, dedupe_key: str | None = None
) -> list[OutboxMessage]:
    return _send_to_billing(
        Kind.ACCOUNT_SUSPENDED,
        tenant=tenant,
        dedupe_key=dedupe_key,
        context={"reason": reason, "contact_url": f"mailto:{settings.SUPPORT_EMAIL}"},
    )


def send_notice(*, tenant: Tenant, to: str, subject: str, message: str) -> OutboxMessage:
    """A free-form notice from a tenant admin to a member (the email API's generic kind).

    SECURITY: subject and message are user input; the HTML template autoescapes them
    and the subject is collapsed to one line, so they cannot inject markup or headers.
    """
    return _send(
        Kind.NOTICE,
        to=to,
        tenant=tenant,
        context={"notice_subject": subject, "notice_message": message},
    )


def team_admin_recipients(tenant: Tenant) -> list[str]:
    """Each active owner and admin of the tenant: lower-cased, without repeats."""
    addresses = (
        Membership.objects.for_tenant(tenant)
        .active()
        .filter(role__in=[Role.OWNER, Role.ADMIN])
        .order_by("created_at")
        .values_list("user__email", flat=True)
    )
    return unique_addresses(addresses)


def send_usage_warning(
    *,
    tenant: Tenant,
    percent: int,
    used: int,
    limit: int,
    resets_on: date,
    dedupe_key: str | None = None,
) -> list[OutboxMessage]:
    """`percent` of the month's API calls are spent: to the owners and admins."""
    context = {
        "percent": percent,
        "used": f"{used:,}",
        "limit": f"{limit:,}",
        "remaining": f"{max(0, limit - used):,}",
        "resets_on": resets_on,
        "upgrade_url": absolute_url(BILLING_PATH),
    }
    return [
        _send(Kind.USAGE_WARNING, to=address, context=context, tenant=tenant, dedupe_key=dedupe_key)
        for address in team_admin_recipients(tenant)
    ]


def send_workspace_closed(
    *, tenant: Tenant, closed_by: Any, purge_after: datetime
) -> list[OutboxMessage]:
    """To the billing address and every active member of a workspace just closed."""
    members = (
        Membership.objects.for_tenant(tenant)
        .active()
        .order_by("created_at")
        .values_list("user__email", flat=True)
    )
    addresses = unique_addresses([tenant.billing_email, *members])
    closer = closed_by.get_full_name() if getattr(closed_by, "is_authenticated", False) else ""
    return [
        _send(
            Kind.WORKSPACE_CLOSED,
            to=address,
            tenant=tenant,
            context={
                "closed_by": closer or "An owner",
                "purge_after": purge_after,
                "contact_url": f"mailto:{settings.SUPPORT_EMAIL}",
            },
        )
        for address in addresses
    ]


def send_account_deleted(*, email: str, name: str) -> OutboxMessage:
    """The last email to a person whose account is being erased: queued before the address goes."""
    return _send(
        Kind.ACCOUNT_DELETED,
        to=email,
        tenant=None,
        context={"name": name, "contact_url": f"mailto:{settings.SUPPORT_EMAIL}"},
    )


def send_two_factor_changed(*, user: Any, event: str, left: int | None = None) -> OutboxMessage:
    """Two-factor sign-in was turned on or off, or a recovery code was used: if it was not
    the person, this email is how they find out."""
    return _send(
        Kind.TWO_FACTOR,
        to=user.email,
        tenant=None,
        context={
            "user": user,
            "event": event,
            "left": left,
            "account_url": absolute_url("/account/two-factor/"),
            "reset_url": absolute_url("/password-reset/"),
        },
    )


def send_email_verification(*, user: Any, email: str, url: str) -> OutboxMessage:
    # No tenant: the address belongs to the person, whichever workspaces they are in.
    return _send(
        Kind.EMAIL_VERIFICATION,
        to=email,
        tenant=None,
        context={"user": user, "verify_url": absolute_url(url)},
    )


def send_email_change(*, user: Any, new_email: str, confirm_url: str) -> list[OutboxMessage]:
    """The link to the new address; to the current one, a notice that says how to keep it."""
    return [
        _send(
            Kind.EMAIL_CHANGE_CONFIRMATION,
            to=new_email,
            tenant=None,
            context={
                "user": user,
                "new_email": new_email,
                "confirm_url": absolute_url(confirm_url),
            },
        ),
        _send(
            Kind.EMAIL_CHANGE_NOTICE,
            to=user.email,
            tenant=None,
            context={
                "user": user,
                "new_email": new_email,
                "reset_url": absolute_url("/password-reset/"),
            },
        ),
    ]
