"""Session → current tenant for the server-rendered pages.

The API carries its tenant in the token; a browser session carries it in the
session (chosen at login, switched from the header). Every tenant page goes
through `tenant_required` / `role_required`, which load the active membership of
`request.user` in the session's tenant and expose `request.tenant`,
`request.membership`, `request.can` (role checks for templates) and `request.caller`,
the AuthContext (method "session") that services take, as the API's `request.auth`. A membership
that was removed or deactivated, or a deactivated user, ends the session at once,
like the API refuses such a token.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from accounts import two_factor
from tenants.context import AuthContext
from tenants.models import Membership, Role, Tenant, role_at_least

SESSION_TENANT_KEY = "catalytic_tenant_id"

View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class RoleCan:
    """What the current role may do, for templates: `{% if request.can.admin %}`.

    The thresholds are the API's: product writes need member, team/keys/billing
    need admin, granting or removing owner needs owner (see tenants.permissions).
    """

    role: str

    @property
    def write(self) -> bool:
        return role_at_least(self.role, Role.MEMBER)

    @property
    def admin(self) -> bool:
        return role_at_least(self.role, Role.ADMIN)

    @property
    def owner(self) -> bool:
        return role_at_least(self.role, Role.OWNER)


def active_memberships(user: Any) -> QuerySet[Membership]:
    """The memberships a user may act through: active, in a tenant that still exists."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Membership.objects.none()
    return (
        Membership.objects.filter(user=user, is_active=True)
        .exclude(tenant__status=Tenant.Status.DELETED)
        .select_related("tenant")
        .order_by("tenant__name")
    )


def set_current_tenant(request: HttpRequest, membership: Membership) -> None:
    request.session[SESSION_TENANT_KEY] = str(membership.tenant_id)
    _attach(request, membership)


def _attach(request: HttpRequest, membership: Membership) -> None:
    request.membership = membership  # type: ignore[attr-defined]
    request.tenant = membership.tenant  # type: ignore[attr-defined]
    request.can = RoleCan(membership.role)  # type: ignore[attr-defined]
    user = request.user
    # Built on first use: most pages only read, and never need it.
    request.caller = SimpleLazyObject(  # type: ignore[attr-defined]
        lambda: _session_caller(membership, user)
    )
    # For the header's workspace switcher; only queried when a page shows it.
    request.memberships = SimpleLazyObject(  # type: ignore[attr-defined]
        lambda: list(active_memberships(user))
    )


def _session_caller(membership: Membership, user: Any) -> AuthContext:
    caller = AuthContext.of_membership(membership, method="session")
    caller.remember_user(user)
    return caller


def current_membership(request: HttpRequest) -> Membership | None:
    """The session's membership, or None (not logged in, no tenant chosen, or revoked)."""
    if hasattr(request, "membership"):
        return request.membership
    tenant_id = request.session.get(SESSION_TENANT_KEY)
    if not tenant_id or not request.user.is_authenticated:
        return None
    membership = (
        active_memberships(request.user)
        .select_related("tenant__subscription__plan")
        .filter(tenant_id=tenant_id)
        .first()
    )
    if membership is not None:
        _attach(request, membership)
    return membership


def optional_tenant(view: View) -> View:
    """Public pages that also know the visitor's tenant when there is one (pricing)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            current_membership(request)
        return view(request, *args, **kwargs)

    return wrapper


def login_redirect(request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}")


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` parameter when it points at this site, else `default`."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _resolve(request: HttpRequest) -> HttpResponse | None:
    """Attach the membership to the request, or the response that must replace the page."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    if current_membership(request) is not None:
        return None
    memberships = list(active_memberships(request.user)[:2])
    if not memberships and request.user.is_staff and SESSION_TENANT_KEY not in request.session:
        # Staff signed in to the admin share this session; keep it, but there is no workspace.
        raise PermissionDenied("This account belongs to no workspace; staff work in the admin.")
    if SESSION_TENANT_KEY in request.session or not memberships:
        # SECURITY: the membership this session was opened through is gone (removed,
        # deactivated, tenant deleted): end the session rather than silently moving
        # the user into another tenant.
        logout(request)
        messages.error(request, "Your access to that workspace has ended. Please log in again.")
        return redirect("accounts:login")
    if len(memberships) == 1:
        set_current_tenant(request, memberships[0])
        return None
    return redirect(
        f"{reverse('accounts:choose_tenant')}?{urlencode({'next': request.get_full_path()})}"
    )


def two_factor_exempt(view: View) -> View:
    """Mark a page that a member must reach before enrolling where two-factor sign-in is
    required: the enrolment itself, their account. Put it under `tenant_required`."""
    view.two_factor_exempt = True  # type: ignore[attr-defined]
    return view


def _two_factor_missing(request: HttpRequest, view: View) -> HttpResponse | None:
    """Where the workspace requires two-factor sign-in and this person has not enrolled,
    the enrolment page instead of `view` (the API answers 403 `two_factor_required`)."""
    if getattr(view, "two_factor_exempt", False):
        return None
    if not request.tenant.require_two_factor or two_factor.is_enabled(request.user):  # type: ignore[attr-defined]
        return None
    messages.warning(
        request,
        f"{request.tenant.name} requires two-factor sign-in: set it up to go on.",  # type: ignore[attr-defined]
    )
    return redirect("accounts:two_factor")


def tenant_required(view: View) -> View:
    """Any active member of the session's tenant may open the page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = _resolve(request) or _two_factor_missing(request, view)
        if response is not None:
            return response
        return view(request, *args, **kwargs)

    return wrapper


def role_required(minimum: str) -> Callable[[View], View]:
    """Only `minimum` role and above; others get 403 (the API's rule, on pages)."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = _resolve(request) or _two_factor_missing(request, view)
            if response is not None:
                return response
            if not role_at_least(request.membership.role, minimum):  # type: ignore[attr-defined]
                raise PermissionDenied(f"This page needs the {minimum} role or higher.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def require_write_role(request: HttpRequest, minimum: str = Role.MEMBER) -> None:
    """For pages anyone may read but only `minimum` may change (POST of a form)."""
    if not role_at_least(request.membership.role, minimum):  # type: ignore[attr-defined]
        raise PermissionDenied(f"This action needs the {minimum} role or higher.")
