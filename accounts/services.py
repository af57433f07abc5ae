"""Account services: log in, plus the one import point for sessions and passwords.

Pages and the API call `accounts.services.<name>`; the work lives in
accounts.sessions (tokens), accounts.passwords (passwords) and
accounts.email_verification (proving and changing the login email).
Errors are ServiceErrors with stable codes, so the API returns them as they are and
a page can show their `message`.
"""

from __future__ import annotations

from typing import Any

from django_otp.models import Device

from accounts import two_factor
from accounts.email_verification import (
    confirm_email_change,
    request_email_change,
    require_verified_email,
    resend_verification,
    verify_email,
)
from accounts.models import User
from accounts.passwords import (
    change_password,
    confirm_password_reset,
    password_reset_url,
    request_password_reset,
    user_for_reset,
)
from accounts.sessions import (
    Session,
    TokenPair,
    issue_token_pair,
    logout,
    refresh,
    revoke_membership_sessions,
    revoke_user_sessions,
    start_session,
)
from catalytic.errors import ServiceError
from catalytic.metrics import LOGIN_FAILURES
from catalytic.ratelimits import normalise_email
from tenants import audit
from tenants.models import Membership

__all__ = [
    "Session",
    "TokenPair",
    "change_password",
    "check_credentials",
    "check_second_factor",
    "choose_membership",
    "confirm_email_change",
    "confirm_password_reset",
    "issue_token_pair",
    "login",
    "logout",
    "password_reset_url",
    "refresh",
    "request_email_change",
    "request_password_reset",
    "require_verified_email",
    "resend_verification",
    "revoke_membership_sessions",
    "revoke_user_sessions",
    "start_session",
    "user_for_reset",
    "verify_email",
]


# --- Login ------------------------------------------------------------------


def _login_failed(
    request: Any, email: str, reason: str, user: User | None = None, tenant: Any = None
) -> None:
    LOGIN_FAILURES.labels(reason=reason).inc()
    tenants = [tenant]
    if tenant is None and user is not None:
        # Into the trail of every tenant the account belongs to, so its owners and admins
        # see attempts on their members' accounts (docs/security.md, "Audit trail").
        tenants = list(
            Membership.objects.filter(user=user, is_active=True).values_list("tenant_id", flat=True)
        ) or [None]
    for each in tenants:
        audit.record(
            "login.failed", tenant=each, actor=user, request=request, email=email, reason=reason
        )


def check_credentials(*, email: str, password: str, request: Any = None) -> User:
    """The user with this email and password; one generic 401 for any mismatch."""
    email = normalise_email(email)
    user = User.objects.filter(email=email).first()
    if user is None:
        # SECURITY: hash anyway, so an unknown email answers as slowly as a wrong password.
        User().set_password(password)
    if user is None or not user.check_password(password):
        _login_failed(request, email, "invalid_credentials", user)
        raise ServiceError(
            "The email or password is incorrect.", code="invalid_credentials", status=401
        )
    if not user.is_active:
        _login_failed(request, email, "account_disabled", user)
        raise ServiceError("This account is disabled.", code="account_disabled", status=401)
    return user


def _tenant_choices(memberships: list[Membership]) -> list[dict[str, str]]:
    return [
        {"id": str(m.tenant_id), "slug": m.tenant.slug, "name": m.tenant.name} for m in memberships
    ]


def choose_membership(*, user: User, tenant_ref: str = "", request: Any = None) -> Membership:
    """The membership to log in through: the named tenant (slug or id), or the only one."""
    memberships = list(
        Membership.objects.in_live_tenants()
        .select_related("tenant", "user")
        .filter(user=user)
        .order_by("tenant__name")
    )
    active = [m for m in memberships if m.is_active]
    tenant_ref = (tenant_ref or "").strip()
    if tenant_ref:
        chosen = next(
            (m for m in memberships if tenant_ref in (m.tenant.slug, str(m.tenant_id))), None
        )
        if chosen is None:
            _login_failed(request, user.email, "unknown_tenant", user)
            raise ServiceError(
                "You are not a member of that tenant.",
                code="unknown_tenant",
                status=400,
                details={"choices": _tenant_choices(active)},
            )
    elif len(active) == 1:
        chosen = active[0]
    elif len(active) > 1:
        raise ServiceError(
            "You belong to several tenants: name one in `tenant` (slug or id).",
            code="tenant_required",
            status=400,
            details={"choices": _tenant_choices(active)},
        )
    elif memberships:
        chosen = memberships[0]
    else:
        _login_failed(request, user.email, "no_membership", user)
        raise ServiceError(
            "This account belongs to no workspace any more. Log in on the website to start "
            "a new workspace or to delete the account.",
            code="no_membership",
            status=403,
        )
    if not chosen.is_active:
        _login_failed(request, user.email, "membership_suspended", user, chosen.tenant)
        raise ServiceError(
            "Your membership of this tenant is suspended; ask an owner or admin.",
            code="membership_suspended",
            status=403,
        )
    return chosen


def check_second_factor(*, user: User, code: str, request: Any = None) -> Device | None:
    """The device that accepted `code` (None for a person without two-factor); a wrong
    code is a failed login like a wrong password (audited, counted in the metrics)."""
    try:
        return two_factor.check_sign_in(user=user, code=code, request=request)
    except ServiceError as exc:
        if exc.code != "otp_required":
            _login_failed(request, user.email, exc.code, user)
        raise


def login(
    *,
    email: str,
    password: str,
    tenant_ref: str = "",
    otp_code: str = "",
    request: Any = None,
) -> Session:
    user = check_credentials(email=email, password=password, request=request)
    # Before the workspace is chosen: without the second factor, nothing about the
    # account (its workspaces) is told.
    check_second_factor(user=user, code=otp_code, request=request)
    membership = choose_membership(user=user, tenant_ref=tenant_ref, request=request)
    return start_session(membership=membership, request=request, action="login.succeeded")
