"""Pages of the tenant: landing, team, invitations, audit log (the dashboard is lattices')."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.forms import AcceptExistingUserForm, AcceptNewUserForm
from accounts.models import User
from accounts.views import over_limit, start_page_session
from catalytic.errors import ServiceError
from catalytic.page_errors import page_status
from tenants.forms import InviteForm, RoleForm, role_choices
from tenants.invitations import accept_invitation, find_invitation, invite_member, revoke_invitation
from tenants.models import AuditEvent, Invitation, Membership, Role
from tenants.page_auth import (
    current_membership,
    require_write_role,
    role_required,
    tenant_required,
)
from tenants.services import remove_member, update_member


def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        current_membership(request)  # the header shows the workspace when there is one
    return render(request, "tenants/landing.html")


# --- Team -----------------------------------------------------------------------------------


def _team_context(request: HttpRequest, invite_form: InviteForm | None = None) -> dict[str, Any]:
    tenant = request.tenant
    members = Membership.objects.for_tenant(tenant).select_related("user").order_by("user__email")
    context: dict[str, Any] = {
        "members": members,
        "role_choices": role_choices(request.membership.role),
    }
    if request.can.admin:
        context["invite_form"] = invite_form or InviteForm(request.membership.role)
        context["invitations"] = (
            Invitation.objects.for_tenant(tenant)
            .filter(accepted_at__isnull=True, revoked_at__isnull=True)
            .select_related("invited_by")
            .order_by("-created_at")
        )
    return context


@tenant_required
def team(request: HttpRequest) -> HttpResponse:
    """Everyone sees the members; owners and admins also invite, change roles and remove."""
    status = 200
    invite_form = None
    if request.method == "POST":
        require_write_role(request, Role.ADMIN)
        invite_form = InviteForm(request.membership.role, request.POST)
        if invite_form.is_valid():
            email = invite_form.cleaned_data["email"]
            if over_limit(request, invite_form, "invite", email, settings.RATELIMIT_INVITE):
                status = 429
            else:
                try:
                    result = invite_member(
                        tenant=request.tenant,
                        actor=request.user,
                        actor_role=request.membership.role,
                        email=email,
                        role=invite_form.cleaned_data["role"],
                        request=request,
                    )
                except ServiceError as exc:
                    invite_form.add_service_error(exc)
                    status = exc.status
                else:
                    if result.membership is not None:
                        messages.success(request, f"{email} already had an account and has joined.")
                    else:
                        messages.success(request, f"Invitation sent to {email}.")
                    return redirect("tenants:team")
        else:
            status = 400
    return render(request, "tenants/team.html", _team_context(request, invite_form), status=status)


def _member(request: HttpRequest, member_id: Any) -> Membership:
    # SECURITY: scoped to the session's tenant; anyone else's membership is a 404.
    return get_object_or_404(
        Membership.objects.for_tenant(request.tenant).select_related("user"), pk=member_id
    )


@require_POST
@role_required(Role.ADMIN)
def member_role(request: HttpRequest, member_id: Any) -> HttpResponse:
    membership = _member(request, member_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles.")
        return redirect("tenants:team")
    try:
        update_member(
            tenant=request.tenant,
            actor=request.user,
            actor_role=request.membership.role,
            membership=membership,
            role=form.cleaned_data["role"],
            request=request,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        role = Role(form.cleaned_data["role"]).label
        messages.success(request, f"{membership.user.email} is now {role.lower()}.")
    return redirect("tenants:team")


@require_POST
@role_required(Role.ADMIN)
def member_remove(request: HttpRequest, member_id: Any) -> HttpResponse:
    membership = _member(request, member_id)
    email = membership.user.email
    try:
        remove_member(
            tenant=request.tenant,
            actor=request.user,
            actor_role=request.membership.role,
            membership=membership,
            request=request,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("tenants:team")
    if membership.pk == request.membership.pk:
        messages.info(request, f"You left {request.tenant.name}.")
        return redirect("lattices:dashboard")  # page_auth ends this session: the membership is gone
    messages.success(request, f"{email} was removed from the workspace.")
    return redirect("tenants:team")


@require_POST
@role_required(Role.ADMIN)
def invitation_revoke(request: HttpRequest, invitation_id: Any) -> HttpResponse:
    invitation = get_object_or_404(Invitation.objects.for_tenant(request.tenant), pk=invitation_id)
    try:
        revoke_invitation(
            tenant=request.tenant, actor=request.user, invitation=invitation, request=request
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The invitation to {invitation.email} was withdrawn.")
    return redirect("tenants:team")


# --- Accepting an invitation (public: the emailed link) ------------------------------------


@sensitive_post_parameters("password1", "password2")
@never_cache
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = find_invitation(token)
    except ServiceError as exc:
        return render(
            request,
            "tenants/invitation_invalid.html",
            {"message": exc.message},
            status=exc.status,
        )
    existing = User.objects.filter(email=invitation.email).exists()
    form_class = AcceptExistingUserForm if existing else AcceptNewUserForm
    status = 200
    if request.method == "POST":
        form = form_class(invitation.email, request.POST)
        if over_limit(request, form, "invite-accept", None, settings.RATELIMIT_INVITE_ACCEPT):
            status = 429
        elif form.is_valid():
            try:
                membership = accept_invitation(
                    token=token,
                    password=form.password(),
                    first_name=form.cleaned_data.get("first_name", ""),
                    last_name=form.cleaned_data.get("last_name", ""),
                    request=request,
                )
            except ServiceError as exc:
                form.add_service_error(exc, form.field_map)
                status = page_status(exc)
            else:
                start_page_session(request, membership)
                messages.success(
                    request,
                    f"Welcome to {membership.tenant.name}! You joined as "
                    f"{membership.get_role_display().lower()}.",
                )
                return redirect("lattices:dashboard")
        else:
            status = 400
    else:
        form = form_class(invitation.email)
    return render(
        request,
        "tenants/invitation_accept.html",
        {"invitation": invitation, "form": form, "existing": existing},
        status=status,
    )


# --- Audit log ------------------------------------------------------------------------------

AUDIT_PAGE_SIZE = 50


@role_required(Role.ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    events = (
        AuditEvent.objects.for_tenant(request.tenant)
        .select_related("actor")
        .order_by("-created_at")
    )
    action = request.GET.get("action", "")
    if action:
        events = events.filter(action=action)
    actions = (
        AuditEvent.objects.for_tenant(request.tenant)
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "tenants/audit_log.html",
        {"page": page, "actions": list(actions), "action": action},
    )
