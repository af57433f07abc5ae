"""The workspace settings page (owners and admins): the page of `PATCH /api/tenants/current`,
through the same services: tenants.services.update_tenant for the name and billing email,
tenants.two_factor_policy.set_requirement for the owners' two-factor requirement."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from catalytic.errors import ServiceError
from tenants.forms import WorkspaceSettingsForm
from tenants.models import Role
from tenants.page_auth import role_required
from tenants.services import update_tenant
from tenants.two_factor_policy import set_requirement


@role_required(Role.ADMIN)
def workspace_settings(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    status = 200
    if request.method == "POST" and "two_factor" in request.POST:
        return _save_two_factor_requirement(request)
    if request.method == "POST":
        form = WorkspaceSettingsForm(request.POST)
        if form.is_valid():
            update_tenant(
                tenant=tenant, actor=request.user, changes=form.cleaned_data, request=request
            )
            messages.success(request, "Workspace settings saved.")
            return redirect("tenants:settings")
        status = 400
    else:
        form = WorkspaceSettingsForm(
            initial={"name": tenant.name, "billing_email": tenant.billing_email}
        )
    return render(request, "tenants/settings.html", {"form": form}, status=status)


def _save_two_factor_requirement(request: HttpRequest) -> HttpResponse:
    """The owners' switch; the service refuses admins and an owner without two-factor."""
    required = request.POST.get("require_two_factor") == "on"
    try:
        set_requirement(
            tenant=request.tenant,  # type: ignore[attr-defined]
            actor=request.user,
            actor_role=request.membership.role,  # type: ignore[attr-defined]
            required=required,
            request=request,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            "Every member must now use two-factor sign-in."
            if required
            else "Two-factor sign-in is no longer required.",
        )
    return redirect("tenants:settings")
